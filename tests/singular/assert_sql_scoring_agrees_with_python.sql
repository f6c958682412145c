{#
    The SQL scoring macro predict_segment assigns every customer of both sources to the
    same segment as the Python fit: fails on each customer where they differ (or where
    one of them has no segment).
#}

with

python_assignments as (

    select
        source,
        customer_id,
        segment_id
    from {{ ref('customer_segments') }}

),

smartcart_scores as (

    {{ predict_segment(ref('customer_features_smartcart'), 'smartcart') }}

),

online_retail_scores as (

    {{ predict_segment(
        ref('customer_features_online_retail'),
        'online_retail',
        item_relation=ref('online_retail_customer_item_purchases'),
    ) }}

),

sql_assignments as (

    select
        'smartcart' as source,
        customer_id,
        segment_id
    from smartcart_scores
    union all
    select
        'online_retail' as source,
        customer_id,
        segment_id
    from online_retail_scores

),

compared as (

    select
        python_assignments.segment_id as python_segment_id,
        sql_assignments.segment_id as sql_segment_id,
        coalesce(python_assignments.source, sql_assignments.source) as source,
        coalesce(python_assignments.customer_id, sql_assignments.customer_id) as customer_id
    from python_assignments
    full outer join sql_assignments
        on
            python_assignments.source = sql_assignments.source
            and python_assignments.customer_id = sql_assignments.customer_id

)

select * from compared
where
    python_segment_id is null
    or sql_segment_id is null
    or python_segment_id != sql_segment_id
