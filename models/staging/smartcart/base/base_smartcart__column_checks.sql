{#
    Per SmartCart input file and checked column: non-empty values and the share of them
    rejected (macro input_column_checks). The build stops here when a column is mostly
    unreadable (var input_column_max_rejected_share), a required column is empty on every row or
    too many rows are malformed; the staging models wait for this check.
#}

{%- set columns = [('ID', 'raw_id', 'customer_id', true), ('Dt_Customer', 'raw_dt_customer', 'enrolled_date', true)] -%}
{%- for raw, name in [
    ('Year_Birth', 'birth_year'), ('Income', 'income'), ('Kidhome', 'kids_at_home'), ('Teenhome', 'teens_at_home'),
    ('Recency', 'recency_days'), ('MntWines', 'wines_amount'), ('MntFruits', 'fruits_amount'),
    ('MntMeatProducts', 'meat_amount'), ('MntFishProducts', 'fish_amount'), ('MntSweetProducts', 'sweets_amount'),
    ('MntGoldProds', 'gold_amount'), ('NumDealsPurchases', 'deals_purchases'), ('NumWebPurchases', 'web_purchases'),
    ('NumCatalogPurchases', 'catalog_purchases'), ('NumStorePurchases', 'store_purchases'),
    ('NumWebVisitsMonth', 'web_visits_last_month'), ('Complain', 'complain_flag'), ('Response', 'response_flag'),
] -%}
    {%- do columns.append(('' ~ raw, 'raw_' ~ raw | lower, name, raw != 'Income')) -%}
{%- endfor %}

{{ input_column_checks(
    lines_relation=ref('base_smartcart__customers'),
    formats_relation=ref('base_smartcart__file_formats'),
    columns=columns,
    row_text="concat_ws(',', raw_id, raw_year_birth, raw_education, raw_marital_status, raw_income, raw_dt_customer)",
    weight='1',
) }}
