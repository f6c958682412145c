{#
    Every raw SmartCart row, typed, with the reason it cannot be used (NULL when it can).
    stg_smartcart__customers keeps the usable rows and stg_smartcart__rejected_customers
    the rest, so that raw rows = clean rows + rejected rows.
#}
{%- set integer_columns = [
    ('Year_Birth', 'birth_year'),
    ('Kidhome', 'kids_at_home'),
    ('Teenhome', 'teens_at_home'),
    ('Recency', 'recency_days'),
    ('NumDealsPurchases', 'deals_purchases'),
    ('NumWebPurchases', 'web_purchases'),
    ('NumCatalogPurchases', 'catalog_purchases'),
    ('NumStorePurchases', 'store_purchases'),
    ('NumWebVisitsMonth', 'web_visits_last_month'),
    ('Complain', 'complain_flag'),
    ('Response', 'response_flag'),
] -%}
{%- set amount_columns = [
    ('Income', 'income'),
    ('MntWines', 'wines_amount'),
    ('MntFruits', 'fruits_amount'),
    ('MntMeatProducts', 'meat_amount'),
    ('MntFishProducts', 'fish_amount'),
    ('MntSweetProducts', 'sweets_amount'),
    ('MntGoldProds', 'gold_amount'),
] -%}
{%- set text_columns = ['ID', 'Education', 'Marital_Status', 'Dt_Customer'] -%}
{%- set raw_columns = text_columns + (integer_columns + amount_columns) | map('first') | list -%}
{%- set raw_aliases = [] -%}
{%- for column in raw_columns -%}{%- do raw_aliases.append('raw_' ~ column | lower) -%}{%- endfor -%}

with

source as (

    select {{ raw_text_columns(raw_columns) }}
    from {{ source('smartcart', 'customers') }}

),

parsed as (

    select
        *,
        {{ dbt.safe_cast(clean_text('raw_id'), api.Column.translate_type('bigint')) }} as customer_id,
        {{ clean_text('raw_education') }} as education_raw,
        {{ clean_text('raw_marital_status') }} as marital_status_raw,
        {{ parse_day_month_year('raw_dt_customer') }} as enrolled_date,
        {%- for raw, name in integer_columns %}
            {{ dbt.safe_cast(clean_text('raw_' ~ raw | lower), api.Column.translate_type('integer')) }} as {{ name }},
        {%- endfor %}
        {%- for raw, name in amount_columns %}
            {{ dbt.safe_cast(clean_text('raw_' ~ raw | lower), 'decimal(18, 2)') }} as {{ name }},
        {%- endfor %}
        {{ raw_row_hash(raw_aliases) }} as row_hash
    from source

),

checked as (

    select
        *,
        concat_ws(
            ', ',
            {%- for raw, name in integer_columns + amount_columns %}
                case when {{ failed_to_parse('raw_' ~ raw | lower, name) }} then '{{ raw }}' end,
            {%- endfor %}
            case when {{ failed_to_parse('raw_id', 'customer_id') }} then 'ID' end
        ) as unparsed_columns,
        concat_ws(
            ', ',
            {%- for raw, name in integer_columns + amount_columns if raw != 'Income' %}
                case when {{ clean_text('raw_' ~ raw | lower) }} is null then '{{ raw }}' end,
            {%- endfor %}
            case when education_raw is null then 'Education' end,
            case when marital_status_raw is null then 'Marital_Status' end
        ) as missing_columns,
        row_number() over (partition by row_hash order by row_hash) as occurrence,
        min(row_hash) over (partition by customer_id) <> max(row_hash) over (partition by customer_id)
            as has_conflicting_rows
    from parsed

),

final as (

    select
        *,
        row_hash || '-' || occurrence as raw_row_id,
        case
            when {{ clean_text('raw_id') }} is null then 'missing_customer_id'
            when unparsed_columns <> '' then 'non_numeric_value'
            when enrolled_date is null then 'unparseable_date'
            when missing_columns <> '' then 'missing_value'
            when occurrence > 1 then 'duplicate_line'
            when has_conflicting_rows then 'conflicting_customer_id'
        end as rejection_reason,
        case
            when {{ clean_text('raw_id') }} is null then 'ID is empty'
            when unparsed_columns <> '' then 'not a number: ' || unparsed_columns
            when enrolled_date is null
                then 'Dt_Customer is not a dd-mm-yyyy date: ' || coalesce(raw_dt_customer, '<empty>')
            when missing_columns <> '' then 'empty: ' || missing_columns
            when occurrence > 1 then 'exact copy of an earlier line (occurrence ' || occurrence || ')'
            when has_conflicting_rows then 'ID ' || raw_id || ' appears on rows with different values'
        end as rejection_detail
    from checked

)

select * from final
