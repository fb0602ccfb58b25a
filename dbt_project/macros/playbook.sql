{#
  Playbook keys hold one value, several joined by '|', or '*' for any.
  matches_key('playbook.segment', 'scores.segment') is true when the key covers the value.
  Portable: dbt's concat and position only.
#}
{% macro matches_key(key_column, value) -%}
    ({{ key_column }} = '*'
        or {{ dbt.position(
            dbt.concat(["'|'", value, "'|'"]),
            dbt.concat(["'|'", key_column, "'|'"])
        ) }} > 0)
{%- endmacro %}

{#
  Where a channel stands in a preference list such as 'email|push|sms' (1 = first);
  9999 when the list does not name it or the guest may not be contacted on it.
#}
{% macro channel_rank(preference_column, channel, allowed) -%}
    case
        when {{ allowed }} and {{ dbt.position(
            "'|" ~ channel ~ "|'", dbt.concat(["'|'", preference_column, "'|'"])
        ) }} > 0
            then {{ dbt.position(
                "'|" ~ channel ~ "|'", dbt.concat(["'|'", preference_column, "'|'"])
            ) }}
        else 9999
    end
{%- endmacro %}

{#
  Personalised price multiplier in [0.7, 1.3]: valuable guests bear a little more, guests
  likely to churn get a better price. clv_percentile is the guest's percent rank of clv_horizon.
  guestloyalty.serving.nba.price_multiplier is the same formula for score-guest (a test checks).
  To cents as floor(100 x + 0.5) / 100, not round(x, 2): the same double operations in
  DuckDB and Python, whatever a DuckDB release does with round() of a double near a half
  cent (2.0.1 rounds the double nearest 0.845 down, 2.0.0 rounded it up).
#}
{% macro price_multiplier(clv_percentile, churn_probability) -%}
    floor(100 * least(1.3, greatest(0.7,
        1.0 + 0.3 * ({{ clv_percentile }} - 0.5)
        - 0.5 * greatest({{ churn_probability }} - 0.4, 0.0)
    )) + 0.5) / 100
{%- endmacro %}
