{#
    One row per SmartCart input file: how it is read (register_raw_inputs hook) and how its
    enrolment dates and money columns are read, decided from their values once per file (macro
    input_file_formats). base_smartcart__customers stops the build on its input_problem.
#}

{{ input_file_formats(
    lines_relation=source('smartcart', 'customers'),
    files_relation=source('smartcart', 'customers_files'),
    date_column='Dt_Customer',
    money_columns=[
        'Income', 'MntWines', 'MntFruits', 'MntMeatProducts', 'MntFishProducts', 'MntSweetProducts', 'MntGoldProds',
    ],
) }}
