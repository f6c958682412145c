{# The retailer's raw transaction columns, in file order (the base model reads them as text). #}
{% macro online_retail_raw_columns() -%}
    {{ return(['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country']) }}
{%- endmacro %}

{#
    The key of a distinct raw transaction line: the MD5 of its input file's id and its raw text
    fields (columns _file_id and raw_<name> of the base model). Exact copies in one file share it; with the copy's occurrence it
    keys every raw line. A malformed row (fewer or more fields than the header) also hashes its
    field count and first extra field, so that it never shares a key with a complete row.
#}
{% macro online_retail_line_hash() -%}
    {%- set raw_aliases = ['cast(_file_id as ' ~ dbt.type_string() ~ ')'] -%}
    {%- for column in online_retail_raw_columns() -%}{%- do raw_aliases.append('raw_' ~ column | lower) -%}{%- endfor -%}
    {{ raw_row_hash(raw_aliases, shape=('field_count', 'expected_field_count', 'raw_extra_field')) }}
{%- endmacro %}
