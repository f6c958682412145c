{# Built only once the file’s columns passed their checks (the build stops there otherwise). #}
-- depends_on: {{ ref('base_smartcart__column_checks') }}

with

rejected as (

    select
        raw_row_id,
        rejection_reason,
        rejection_detail,
        _file_id,
        raw_extra_field,
        raw_id,
        raw_year_birth,
        raw_education,
        raw_marital_status,
        raw_income,
        raw_kidhome,
        raw_teenhome,
        raw_dt_customer,
        raw_recency,
        raw_mntwines,
        raw_mntfruits,
        raw_mntmeatproducts,
        raw_mntfishproducts,
        raw_mntsweetproducts,
        raw_mntgoldprods,
        raw_numdealspurchases,
        raw_numwebpurchases,
        raw_numcatalogpurchases,
        raw_numstorepurchases,
        raw_numwebvisitsmonth,
        raw_complain,
        raw_response
    from {{ ref('base_smartcart__customers') }}
    where rejection_reason is not null

)

select * from rejected
