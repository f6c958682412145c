{#
    Every raw SmartCart row, typed, with the reason it cannot be used (NULL when it can).
    stg_smartcart__customers keeps the usable rows and stg_smartcart__rejected_customers
    the rest, so that raw rows = clean rows + rejected rows.

    Dates and amounts are read as the file is (base_smartcart__file_formats: date order, decimal
    separator; currency symbols and thousands separators allowed); a file whose format could
    not be decided stops the build here. Counts must be whole numbers (never rounded). Values
    that cannot be real (a negative count or amount, an amount above var
    smartcart_max_plausible_amount or a count above var smartcart_max_plausible_count, a flag
    other than 0/1, a birth after the enrolment) reject the row as implausible_value; values
    that are only unlikely (very old birth years, very high incomes) are flagged in staging and
    kept out of fitting.
#}
{%- set count_columns = [
    ('Kidhome', 'kids_at_home'),
    ('Teenhome', 'teens_at_home'),
    ('Recency', 'recency_days'),
    ('NumDealsPurchases', 'deals_purchases'),
    ('NumWebPurchases', 'web_purchases'),
    ('NumCatalogPurchases', 'catalog_purchases'),
    ('NumStorePurchases', 'store_purchases'),
    ('NumWebVisitsMonth', 'web_visits_last_month'),
] -%}
{%- set flag_columns = [('Complain', 'complain_flag'), ('Response', 'response_flag')] -%}
{%- set integer_columns = [('Year_Birth', 'birth_year')] + count_columns + flag_columns -%}
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

    select
        _file_id,
        _field_count as field_count,
        nullif(_extra_field, '') as raw_extra_field,
        {{ raw_text_columns(raw_columns) }}
    from {{ source('smartcart', 'customers') }}

),

file_formats as (

    select
        _file_id,
        header_fields,
        date_order,
        decimal_separator
    from {{ ref('base_smartcart__file_formats') }}
    where {{ fail_if('input_problem is not null', "'Cannot read the SmartCart customers: ' || input_problem") }}

),

numbers as (

    select
        source.*,
        file_formats.header_fields as expected_field_count,
        file_formats.date_order,
        {{ parse_number('source.raw_id', 'file_formats.decimal_separator', type_double()) }} as id_value,
        {{ clean_text('source.raw_education') }} as education_raw,
        {{ clean_text('source.raw_marital_status') }} as marital_status_raw,
        cast({{ parse_timestamp('source.raw_dt_customer', 'file_formats.date_order') }} as date) as enrolled_date,
        {%- for raw, name in integer_columns %}
            {{ parse_number('source.raw_' ~ raw | lower, 'file_formats.decimal_separator', type_double()) }}
                as {{ name }}_value,
        {%- endfor %}
        {#- Amounts parsed once, exactly, wide enough that a huge one is implausible, not unparsed. #}
        {%- for raw, name in amount_columns %}
            {{ parse_number('source.raw_' ~ raw | lower, 'file_formats.decimal_separator', 'decimal(38, 2)') }}
                as {{ name }}_value,
        {%- endfor %}
        {{ raw_row_hash(
            raw_aliases, shape=('source.field_count', 'file_formats.header_fields', 'source.raw_extra_field')
        ) }} as row_hash
    from source
    inner join file_formats
        on source._file_id = file_formats._file_id

),

parsed as (

    select
        *,
        {%- for raw, name in integer_columns %}
            case
                when {{ name }}_value = floor({{ name }}_value) and abs({{ name }}_value) <= 2147483647
                    then cast({{ name }}_value as {{ dbt.type_int() }})
            end as {{ name }},
        {%- endfor %}
        {%- for raw, name in amount_columns %}
            case
                when {{ name }}_value between 0 and {{ var('smartcart_max_plausible_amount') }}
                    then cast({{ name }}_value as decimal(18, 2))
            end as {{ name }},
        {%- endfor %}
        case when id_value = floor(id_value) then cast(id_value as {{ dbt.type_bigint() }}) end as customer_id,
        enrolled_date is not null and birth_year_value > extract(year from enrolled_date) as is_born_after_enrolment
    from numbers

),

checked as (

    select
        *,
        concat_ws(
            ', ',
            {%- for raw, name in integer_columns + amount_columns %}
                case when {{ failed_to_parse('raw_' ~ raw | lower, name ~ '_value') }} then '{{ raw }}' end,
            {%- endfor %}
            case when {{ failed_to_parse('raw_id', 'id_value') }} then 'ID' end
        ) as unparsed_columns,
        concat_ws(
            ', ',
            {%- for raw, name in integer_columns %}
                case when {{ name }}_value <> floor({{ name }}_value) then '{{ raw }}' end,
            {%- endfor %}
            case when id_value <> floor(id_value) then 'ID' end
        ) as fractional_columns,
        concat_ws(
            ', ',
            {%- for raw, name in integer_columns + amount_columns if raw != 'Income' %}
                case when {{ clean_text('raw_' ~ raw | lower) }} is null then '{{ raw }}' end,
            {%- endfor %}
            case when education_raw is null then 'Education' end,
            case when marital_status_raw is null then 'Marital_Status' end
        ) as missing_columns,
        concat_ws(
            ', ',
            {%- for raw, name in amount_columns %}
                case
                    when {{ name }}_value < 0 then '{{ raw }} ' || raw_{{ raw | lower }} || ' (negative)'
                    when {{ name }}_value > {{ var('smartcart_max_plausible_amount') }}
                        then
                            '{{ raw }} ' || raw_{{ raw | lower }} || ' (above '
                            || {{ var('smartcart_max_plausible_amount') }} || ')'
                end,
            {%- endfor %}
            {%- for raw, name in count_columns %}
                case
                    when {{ name }} < 0 then '{{ raw }} ' || raw_{{ raw | lower }} || ' (negative)'
                    when {{ name }} > {{ var('smartcart_max_plausible_count') }}
                        then
                            '{{ raw }} ' || raw_{{ raw | lower }} || ' (above '
                            || {{ var('smartcart_max_plausible_count') }} || ')'
                    when {{ name }}_value = floor({{ name }}_value) and {{ name }} is null
                        then '{{ raw }} ' || raw_{{ raw | lower }} || ' (out of range)'
                end,
            {%- endfor %}
            {%- for raw, name in flag_columns %}
                case when {{ name }} not in (0, 1) then '{{ raw }} ' || raw_{{ raw | lower }} || ' (not 0 or 1)' end,
            {%- endfor %}
            case
                when is_born_after_enrolment
                    then 'Year_Birth ' || raw_year_birth || ' (after the enrolment on ' || enrolled_date || ')'
            end
        ) as implausible_columns,
        row_number() over (partition by row_hash order by row_hash) as occurrence,
        min(row_hash) over (partition by customer_id) <> max(row_hash) over (partition by customer_id)
            as has_conflicting_rows
    from parsed

),

final as (

    select
        _file_id,
        field_count,
        expected_field_count,
        raw_extra_field,
        {%- for column in raw_aliases %}
            {{ column }},
        {%- endfor %}
        customer_id,
        education_raw,
        marital_status_raw,
        enrolled_date,
        {%- for raw, name in integer_columns + amount_columns %}
            {{ name }},
        {%- endfor %}
        row_hash,
        unparsed_columns,
        fractional_columns,
        missing_columns,
        implausible_columns,
        is_born_after_enrolment,
        occurrence,
        has_conflicting_rows,
        row_hash || '-' || occurrence as raw_row_id,
        case
            when field_count <> expected_field_count then 'malformed_row'
            when {{ clean_text('raw_id') }} is null then 'missing_customer_id'
            when unparsed_columns <> '' or fractional_columns <> '' then 'non_numeric_value'
            when enrolled_date is null then 'unparseable_date'
            when missing_columns <> '' then 'missing_value'
            when implausible_columns <> '' then 'implausible_value'
            when occurrence > 1 then 'duplicate_line'
            when has_conflicting_rows then 'conflicting_customer_id'
        end as rejection_reason,
        case
            when field_count < expected_field_count
                then 'the row has ' || field_count || ' field(s) where the header has ' || expected_field_count
            when field_count > expected_field_count
                then
                    'the row has more fields than the header''s ' || expected_field_count
                    || ' (the first extra one: ' || coalesce(raw_extra_field, '<empty>') || ')'
            when {{ clean_text('raw_id') }} is null then 'ID is empty'
            when unparsed_columns <> '' or fractional_columns <> ''
                then concat_ws(
                    '; ',
                    'not a number: ' || nullif(unparsed_columns, ''),
                    'not a whole number: ' || nullif(fractional_columns, '')
                )
            when enrolled_date is null
                then
                    'Dt_Customer is not a date (file read ' || replace(date_order, '_', ' ') || '): '
                    || coalesce(raw_dt_customer, '<empty>')
            when missing_columns <> '' then 'empty: ' || missing_columns
            when implausible_columns <> '' then 'cannot be real: ' || implausible_columns
            when occurrence > 1 then 'exact copy of an earlier line (occurrence ' || occurrence || ')'
            when has_conflicting_rows then 'ID ' || raw_id || ' appears on rows with different values'
        end as rejection_detail
    from checked

)

select * from final
