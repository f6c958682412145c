{#
    Every one of the 125 possible (R, F, M) score combinations maps to exactly one
    named segment of the seed rfm_segment_rules: fails on each combination that maps
    to none or to several.
#}

with

scores as (

    select generated_number as score
    from ({{ dbt.generate_series(5) }}) as series

),

combinations as (

    select
        r.score as r_score,
        f.score as f_score,
        m.score as m_score,
        {{ fm_score('f.score', 'm.score') }} as fm_score
    from scores as r
    cross join scores as f
    cross join scores as m

),

rules as (

    select
        rfm_segment,
        r_score_min,
        r_score_max,
        fm_score_min,
        fm_score_max
    from {{ ref('rfm_segment_rules') }}

),

matches as (

    select
        combinations.r_score,
        combinations.f_score,
        combinations.m_score,
        count(rules.rfm_segment) as matching_segments
    from combinations
    left join rules
        on
            combinations.r_score between rules.r_score_min and rules.r_score_max
            and combinations.fm_score between rules.fm_score_min and rules.fm_score_max
    group by combinations.r_score, combinations.f_score, combinations.m_score

)

select * from matches
where matching_segments <> 1
