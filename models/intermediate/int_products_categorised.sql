{#
    Every product stock code with its description and category. The description is the
    code's most frequent one (ties alphabetical); the category is the first keyword rule
    of the seed product_category_keywords that the description contains (lowest priority
    number, then the longest keyword, then alphabetical), or 'other'. Descriptions are
    padded with a space on both sides, so a keyword with spaces at its edges matches whole
    words only.
#}

with

product_lines as (

    select
        stock_code,
        description
    from {{ ref('int_transaction_lines_classified') }}
    where is_product

),

keyword_rules as (

    select
        category,
        priority,
        upper(keyword) as keyword
    from {{ ref('product_category_keywords') }}

),

stock_codes as (

    select distinct stock_code
    from product_lines

),

description_counts as (

    select
        stock_code,
        upper(description) as description,
        count(*) as line_count
    from product_lines
    where description is not null
    group by stock_code, upper(description)

),

main_descriptions as (

    select
        stock_code,
        description
    from description_counts
    qualify row_number() over (partition by stock_code order by line_count desc, description asc) = 1

),

rule_matches as (

    select
        main_descriptions.stock_code,
        keyword_rules.category,
        keyword_rules.keyword
    from main_descriptions
    inner join keyword_rules
        on ' ' || main_descriptions.description || ' ' like '%' || keyword_rules.keyword || '%'
    qualify row_number() over (
        partition by main_descriptions.stock_code
        order by keyword_rules.priority asc, length(keyword_rules.keyword) desc, keyword_rules.keyword asc
    ) = 1

),

final as (

    select
        stock_codes.stock_code,
        main_descriptions.description,
        rule_matches.keyword as matched_keyword,
        coalesce(rule_matches.category, 'other') as category
    from stock_codes
    left join main_descriptions
        on stock_codes.stock_code = main_descriptions.stock_code
    left join rule_matches
        on stock_codes.stock_code = rule_matches.stock_code

)

select * from final
