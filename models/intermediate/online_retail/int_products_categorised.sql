{#
    Every product stock code with its description and category. The description is the
    code’s most frequent one (ties alphabetical; from int_stock_codes_classified); the category is the first keyword rule
    of the seed product_category_keywords that the description contains (lowest priority
    number, then the longest keyword, then alphabetical), or 'other'. Descriptions are
    padded with a space on both sides, so a keyword with spaces at its edges matches whole
    words only.
#}

with

products as (

    select
        stock_code,
        description
    from {{ ref('int_stock_codes_classified') }}
    where is_product

),

keyword_rules as (

    select
        category,
        priority,
        upper(keyword) as keyword
    from {{ ref('product_category_keywords') }}

),

rule_matches as (

    select
        products.stock_code,
        keyword_rules.category,
        keyword_rules.keyword
    from products
    inner join keyword_rules
        on ' ' || products.description || ' ' like '%' || keyword_rules.keyword || '%'
    qualify row_number() over (
        partition by products.stock_code
        order by keyword_rules.priority asc, length(keyword_rules.keyword) desc, keyword_rules.keyword asc
    ) = 1

),

final as (

    select
        products.stock_code,
        products.description,
        rule_matches.keyword as matched_keyword,
        coalesce(rule_matches.category, 'other') as category
    from products
    left join rule_matches
        on products.stock_code = rule_matches.stock_code

)

select * from final
