{#
    Every stock code of the clean lines, classified once, by the first rule that applies:
    1. the seed non_product_stock_codes (exact codes, then the longest prefix): known codes,
       non-product types, or 'product' for a code that looks like none;
    2. the seed non_product_description_rules on the code’s main description (its most
       frequent one): descriptions that read like a test, an adjustment, a fee or charge,
       postage or carriage, a manual entry, a bad debt, a discount, samples or a voucher;
    3. the shape of the catalogue’s product codes (var online_retail_product_code_pattern): a
       code without it is non-product, 'unclassified' (no rule says what it is);
    4. otherwise a product.
    With each code’s clean lines and amount, so that the data-quality report lists what the
    rules decided and what they could not, for someone to add to the seeds. Line-level models
    join to this table on the code: the rules run once per code, not once per line.
#}

{# A few thousand codes, read by every line-level model: a table. #}
{{ config(materialized='table') }}

with

lines as (

    select
        stock_code,
        description,
        line_amount_gbp
    from {{ ref('stg_online_retail__transactions') }}

),

code_rules as (

    select
        stock_code as matched_code,
        match_type,
        line_type
    from {{ ref('non_product_stock_codes') }}

),

description_rules as (

    select
        keyword,
        match_type,
        line_type
    from {{ ref('non_product_description_rules') }}

),

description_counts as (

    select
        stock_code,
        upper(description) as description,
        count(*) as line_count,
        sum(line_amount_gbp) as amount_gbp
    from lines
    group by stock_code, upper(description)

),

stock_codes as (

    select
        stock_code,
        {{ matches_pattern('stock_code', "'" ~ var('online_retail_product_code_pattern') ~ "'") }}
            as has_product_code_shape,
        sum(line_count) as clean_lines,
        sum(amount_gbp) as amount_gbp
    from description_counts
    group by stock_code

),

main_descriptions as (

    select
        stock_code,
        description,
        {{ words_of('description') }} as description_words
    from description_counts
    where description is not null
    qualify row_number() over (partition by stock_code order by line_count desc, description asc) = 1

),

code_matches as (

    select
        stock_codes.stock_code,
        code_rules.line_type,
        code_rules.matched_code
    from stock_codes
    inner join code_rules
        on
            (code_rules.match_type = 'exact' and stock_codes.stock_code = code_rules.matched_code)
            or (
                code_rules.match_type = 'prefix'
                and left(stock_codes.stock_code, length(code_rules.matched_code)) = code_rules.matched_code
            )
    qualify row_number() over (
        partition by stock_codes.stock_code
        order by code_rules.match_type = 'exact' desc, length(code_rules.matched_code) desc
    ) = 1

),

description_matches as (

    select
        main_descriptions.stock_code,
        description_rules.line_type,
        description_rules.keyword
    from main_descriptions
    inner join description_rules
        on
            (
                description_rules.match_type = 'whole'
                and main_descriptions.description_words = description_rules.keyword
            )
            or (
                description_rules.match_type = 'last_word'
                and (
                    main_descriptions.description_words = description_rules.keyword
                    or right(main_descriptions.description_words, length(description_rules.keyword) + 1)
                    = ' ' || description_rules.keyword
                )
            )
            or (
                description_rules.match_type = 'word'
                and position(
                    ' ' || description_rules.keyword || ' ' in ' ' || main_descriptions.description_words || ' '
                ) > 0
            )
    qualify row_number() over (
        partition by main_descriptions.stock_code
        order by
            case description_rules.match_type when 'whole' then 1 when 'last_word' then 2 else 3 end,
            length(description_rules.keyword) desc,
            description_rules.keyword asc
    ) = 1

),

classified as (

    select
        stock_codes.stock_code,
        main_descriptions.description,
        stock_codes.clean_lines,
        stock_codes.amount_gbp,
        stock_codes.has_product_code_shape,
        case
            when code_matches.stock_code is not null then 'seed'
            when description_matches.stock_code is not null then 'description_rule'
            when not stock_codes.has_product_code_shape then 'code_shape_rule'
            else 'product_code_shape'
        end as classified_by,
        coalesce(
            code_matches.line_type,
            description_matches.line_type,
            case when not stock_codes.has_product_code_shape then 'unclassified' end,
            'product'
        ) as line_type,
        coalesce(code_matches.matched_code, description_matches.keyword) as matched_rule
    from stock_codes
    left join main_descriptions
        on stock_codes.stock_code = main_descriptions.stock_code
    left join code_matches
        on stock_codes.stock_code = code_matches.stock_code
    left join description_matches
        on stock_codes.stock_code = description_matches.stock_code

),

final as (

    select
        stock_code,
        description,
        line_type,
        line_type = 'product' as is_product,
        classified_by,
        matched_rule,
        has_product_code_shape,
        cast(clean_lines as {{ dbt.type_bigint() }}) as clean_lines,
        cast(amount_gbp as decimal(38, 2)) as amount_gbp
    from classified

)

select * from final
