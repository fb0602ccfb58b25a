{#
  One row per guest: where they are in their journey at as_of and how we may reach them
  (no_stay_yet for a profile without a stay before as_of and no booking: score-guest gives
  such a guest the playbook's first-stay action; service_recovery for a guest neither in
  house nor arriving who wrote a negative review in the last 30 days that does not say the
  problem was fixed). Channels need marketing consent; email also needs no unsubscribe (and an opt-in that
  is not explicitly false), SMS an explicit opt-in, push an app in use (a push sent or an app
  session in the last 365 days). Response rates are over the 365 days up to as_of.
#}
with
context as (select * from {{ ref('run_context') }}),

guests as (select * from {{ ref('int_guests_unified') }}),

events as (select * from {{ ref('int_engagement_events_resolved') }}),

bookings as (select * from {{ ref('int_bookings_enriched') }}),

current_features as (
    select features.guest_id, features.days_since_last_stay
    from {{ ref('guest_feature_snapshots') }} as features
    inner join context on features.snapshot_date = context.current_snapshot_date
),

-- a negative review in the 30 days up to as_of whose text does not say it was put right
recent_negative_reviews as (
    select review_sentiment.guest_id, max(review_sentiment.submitted_date) as review_date
    from {{ source('sentiment', 'review_sentiment') }} as review_sentiment
    cross join context
    where review_sentiment.sentiment_label = 'negative'
        and not review_sentiment.is_resolved
        and review_sentiment.submitted_date <= context.as_of_date
        and review_sentiment.submitted_date > {{ add_days('context.as_of_date', -30) }}
    group by review_sentiment.guest_id
),

live_bookings as (
    {# bookings known at as_of and not (yet) cancelled or no-show by then #}
    select bookings.*
    from bookings
    cross join context
    where coalesce(bookings.booked_date, bookings.arrival_date) <= context.as_of_date
        and not (bookings.is_cancelled
            and coalesce(bookings.cancellation_known_date, bookings.arrival_date)
                <= context.as_of_date)
        and not (bookings.is_no_show and bookings.arrival_date <= context.as_of_date)
),

booking_stage as (
    select
        live_bookings.guest_id,
        max(case when live_bookings.arrival_date <= context.as_of_date
            and live_bookings.departure_date > context.as_of_date then 1 else 0 end)
            as is_in_stay,
        min(case when live_bookings.arrival_date > context.as_of_date
            then live_bookings.arrival_date end) as next_arrival_date
    from live_bookings
    cross join context
    group by live_bookings.guest_id
),

-- one pass over the events (the largest table): channel counts over the 365 days up to
-- as_of, the latest email unsubscribe over all of them
channel_events as (
    select
        events.guest_id,
        {%- for column, types in [
            ('email_sends', ['email_send']),
            ('email_responses', ['email_open', 'email_click']),
            ('sms_sends', ['sms_send']),
            ('sms_responses', ['sms_click']),
            ('push_sends', ['push_send']),
            ('push_responses', ['push_open']),
            ('app_sessions', ['app_session']),
        ] %}
        sum(case
            when events.event_type in ('{{ types | join("', '") }}')
                and events.occurred_date > {{ add_days('context.as_of_date', -365) }}
                then 1 else 0
        end) as {{ column }},
        {%- endfor %}
        max(case when events.event_type = 'email_unsubscribe' then events.occurred_date end)
            as email_unsubscribed_date
    from events
    cross join context
    where events.occurred_date <= context.as_of_date
        and (events.occurred_date > {{ add_days('context.as_of_date', -365) }}
            or events.event_type = 'email_unsubscribe')
    group by events.guest_id
),

permissions as (
    select
        guests.guest_id,
        coalesce(guests.has_marketing_consent, false) as has_marketing_consent,
        channel_events.email_unsubscribed_date is not null as has_unsubscribed_email,
        coalesce(guests.has_marketing_consent, false)
            and coalesce(guests.has_email_opt_in, true)
            and channel_events.email_unsubscribed_date is null as may_email,
        coalesce(guests.has_marketing_consent, false)
            and coalesce(guests.has_sms_opt_in, false) as may_sms,
        coalesce(guests.has_marketing_consent, false)
            and coalesce(channel_events.push_sends + channel_events.app_sessions, 0) > 0
            as may_push,
        channel_events.email_responses * 1.0
            / nullif(channel_events.email_sends, 0) as email_response_rate,
        channel_events.sms_responses * 1.0 / nullif(channel_events.sms_sends, 0)
            as sms_response_rate,
        channel_events.push_responses * 1.0 / nullif(channel_events.push_sends, 0)
            as push_response_rate
    from guests
    left join channel_events on guests.guest_id = channel_events.guest_id
),

ranked_channels as (
    select
        permissions.*,
        case
            when permissions.may_email then coalesce(permissions.email_response_rate, 0) else -1
        end as email_score,
        case
            when permissions.may_sms then coalesce(permissions.sms_response_rate, 0) else -1
        end as sms_score,
        case
            when permissions.may_push then coalesce(permissions.push_response_rate, 0) else -1
        end as push_score
    from permissions
),

final as (
    select
        ranked_channels.guest_id,
        context.as_of_date,
        case
            when booking_stage.is_in_stay = 1 then 'in_stay'
            when booking_stage.next_arrival_date is not null then 'pre_arrival'
            when current_features.guest_id is null then 'no_stay_yet'
            when recent_negative_reviews.guest_id is not null then 'service_recovery'
            when current_features.days_since_last_stay is null
                or current_features.days_since_last_stay >= 365 then 'dormant'
            else 'post_stay'
        end as journey_stage,
        booking_stage.next_arrival_date,
        recent_negative_reviews.review_date as negative_review_date,
        ranked_channels.has_marketing_consent,
        ranked_channels.has_unsubscribed_email,
        ranked_channels.may_email,
        ranked_channels.may_sms,
        ranked_channels.may_push,
        ranked_channels.may_email or ranked_channels.may_sms or ranked_channels.may_push
            as may_contact,
        {# best response rate among permitted channels; ties: email, push, sms #}
        case
            when not (ranked_channels.may_email or ranked_channels.may_sms
                or ranked_channels.may_push) then null
            when ranked_channels.email_score >= ranked_channels.push_score
                and ranked_channels.email_score >= ranked_channels.sms_score then 'email'
            when ranked_channels.push_score >= ranked_channels.sms_score then 'push'
            else 'sms'
        end as most_responsive_channel,
        ranked_channels.email_response_rate,
        ranked_channels.sms_response_rate,
        ranked_channels.push_response_rate
    from ranked_channels
    cross join context
    left join booking_stage on ranked_channels.guest_id = booking_stage.guest_id
    left join current_features on ranked_channels.guest_id = current_features.guest_id
    left join recent_negative_reviews
        on ranked_channels.guest_id = recent_negative_reviews.guest_id
)

select * from final
