{#
  Guests x snapshot dates: the only table the models read.

  A snapshot date s is an exclusive cut-off. Every feature uses only facts known before s
  (a stay by its check-in, a booking by its booked date, a cancellation by its cancellation
  date, a no-show by its arrival date, events by their date); labels (churned, future_revenue)
  use stays in [s, s + horizon) and are filled only on labeled snapshots, whose whole window
  lies on or before as_of. A guest enters the table at the first snapshot after their first
  stay.

  Scale: events are never joined to snapshots. Each source is bucketed by snapshot index and
  turned into +/- deltas, then running sums over a guest's snapshots give every windowed
  total (see macros/snapshots.sql); work grows with rows + guests x snapshots.

  Sample: every guest has a row on the current snapshot, but labeled rows (one per guest and
  labeled snapshot) are kept only for a deterministic hash sample of guests, the largest whose
  labeled rows stay within var max_labeled_rows (all guests while the world is under it). A
  sampled guest has every snapshot row; the others have the current row only, into which all
  their deltas fold, so every row that exists is the same as without the sample.
  sample_weight (guests at the snapshot / sampled guests) scales counts and sums back up.
#}
{%- set horizon = var('horizon_days', 365) | int %}
{%- set max_labeled_rows = var('max_labeled_rows', 400000) | int %}
{%- set far_future = "cast('9999-12-31' as date)" %}
with
snapshots as (select * from {{ ref('int_snapshot_dates') }}),

calendar as (select * from {{ ref('int_snapshot_calendar') }}),

calendar_bounds as (
    select min(calendar_date) as first_date, max(calendar_date) as last_date from calendar
),

-- read three times below, so built once: only the columns used
stays as (
    select
        guest_id,
        property_id,
        nights,
        weekend_nights,
        room_revenue,
        ancillary_revenue,
        total_revenue,
        days_since_previous_stay,
        is_upgraded,
        had_service_failure,
        check_in_date
    from {{ ref('int_stays_enriched') }}
),

bookings as (select * from {{ ref('int_bookings_enriched') }}),

events as (select * from {{ ref('int_engagement_events_resolved') }}),

loyalty as (select * from {{ ref('int_loyalty_transactions_resolved') }}),

-- each review with its sentiment (the sentiment stage scores reviews up to as_of only)
reviews as (
    select
        resolved.*,
        review_sentiment.sentiment,
        review_sentiment.unresolved_negative_topics
    from {{ ref('int_reviews_resolved') }} as resolved
    left join {{ source('sentiment', 'review_sentiment') }} as review_sentiment
        on resolved.review_id = review_sentiment.review_id
),

requests as (
    select * from {{ ref('int_special_requests_resolved') }}
    where guest_id is not null and known_date is not null
),

guests as (select * from {{ ref('int_guests_unified') }}),

guest_first_stay as (
    select
        stays.guest_id,
        min(calendar.snapshot_index) as first_index,
        min(stays.check_in_date) as first_stay_date
    from stays
    cross join calendar_bounds
    inner join calendar
        on calendar.calendar_date = {{ guestloyalty._calendar_day('stays.check_in_date') }}
    group by stays.guest_id
),

-- labeled snapshots at or after each index: the labeled rows of a guest first seen there
labeled_from_index as (
    select
        snapshot_index,
        sum(case when is_labeled then 1 else 0 end) over (
            order by snapshot_index desc rows between unbounded preceding and current row
        ) as labeled_snapshots
    from snapshots
),

current_snapshot as (
    select
        max(case when not is_labeled then snapshot_index end) as current_index,
        max(case when not is_labeled then snapshot_date end) as current_snapshot_date
    from snapshots
),

guest_buckets as (
    select
        guest_first_stay.guest_id,
        guest_first_stay.first_index,
        guest_first_stay.first_stay_date,
        {{ guestloyalty.sample_bucket('guest_first_stay.guest_id') }} as sample_bucket,
        coalesce(labeled_from_index.labeled_snapshots, 0) as labeled_rows
    from guest_first_stay
    left join labeled_from_index
        on guest_first_stay.first_index = labeled_from_index.snapshot_index
),

bucket_rows as (
    select
        sample_bucket,
        sum(sum(labeled_rows)) over (
            order by sample_bucket rows between unbounded preceding and current row
        ) as cumulative_labeled_rows
    from guest_buckets
    group by sample_bucket
),

-- buckets below the first one whose running total passes the cap are sampled
sample_cutoff as (
    select
        coalesce(
            min(case when cumulative_labeled_rows > {{ max_labeled_rows }} then sample_bucket end),
            1000000  -- every bucket (macro sample_bucket)
        ) as first_unsampled_bucket
    from bucket_rows
),

-- the sample as snapshot_deltas reads it (see macros/snapshots.sql)
labeled_sample as (
    select
        sample_cutoff.first_unsampled_bucket,
        current_snapshot.current_index,
        current_snapshot.current_snapshot_date
    from sample_cutoff
    cross join current_snapshot
),

guest_sample as (
    select
        guest_buckets.guest_id,
        guest_buckets.first_index,
        guest_buckets.first_stay_date,
        guest_buckets.sample_bucket < sample_cutoff.first_unsampled_bucket as is_sampled
    from guest_buckets
    cross join sample_cutoff
),

-- a guest's first row: their first snapshot if sampled, else the current one (never earlier
-- than their first stay); deltas before it fold into it
guest_first_index as (
    select
        guest_sample.guest_id,
        guest_sample.first_stay_date,
        guest_sample.is_sampled,
        case
            when guest_sample.is_sampled then guest_sample.first_index
            else greatest(guest_sample.first_index, current_snapshot.current_index)
        end as first_index
    from guest_sample
    cross join current_snapshot
),

first_index_counts as (
    select
        first_index,
        count(*) as guests,
        sum(case when is_sampled then 1 else 0 end) as sampled_guests
    from guest_sample
    group by first_index
),

-- guests at each snapshot / sampled guests there (1 when nobody was left out)
sample_weights as (
    select
        snapshots.snapshot_index,
        case
            when snapshots.is_labeled
                then sum(first_index_counts.guests) * 1.0
                    / nullif(sum(first_index_counts.sampled_guests), 0)
            else 1.0
        end as sample_weight
    from snapshots
    inner join first_index_counts on snapshots.snapshot_index >= first_index_counts.first_index
    group by snapshots.snapshot_index, snapshots.is_labeled
),

grid as (
    select
        guest_first_index.guest_id,
        snapshots.snapshot_index,
        snapshots.snapshot_date,
        snapshots.is_labeled,
        guest_first_index.first_stay_date,
        guest_first_index.is_sampled
    from guest_first_index
    inner join snapshots on guest_first_index.first_index <= snapshots.snapshot_index
),

property_visits as (
    select guest_id, property_id, min(check_in_date) as first_visit_date
    from stays
    where property_id is not null
    group by guest_id, property_id
),

{{ snapshot_deltas('stay', 'stays',
    spans={
        'history': ('stays.check_in_date', none),
        'last_365d': ('stays.check_in_date', add_days('stays.check_in_date', 365)),
        'label': (add_days('stays.check_in_date', -horizon), 'stays.check_in_date'),
    },
    measures=[
        ('stays_count', '1', 'history', 'sum'),
        ('revenue', 'stays.total_revenue', 'history', 'money'),
        ('nights', 'stays.nights', 'history', 'sum'),
        ('nights_known', 'case when stays.nights is not null then 1 else 0 end', 'history', 'sum'),
        ('weekend_nights', 'stays.weekend_nights', 'history', 'sum'),
        ('ancillary_revenue', 'stays.ancillary_revenue', 'history', 'money'),
        ('rated_room_revenue', 'case when stays.nights > 0 then stays.room_revenue end',
            'history', 'money'),
        ('rated_nights', 'case when stays.nights > 0 and stays.room_revenue is not null '
            ~ 'then stays.nights end', 'history', 'sum'),
        ('upgrades', 'case when stays.is_upgraded then 1 else 0 end', 'history', 'sum'),
        ('service_failures', 'case when stays.had_service_failure then 1 else 0 end',
            'history', 'sum'),
        ('last_failure_date', 'case when stays.had_service_failure then stays.check_in_date end',
            'history', 'max'),
        ('last_stay_date', 'stays.check_in_date', 'history', 'max'),
        ('last_gap_key', pack_latest('stays.check_in_date', 'stays.days_since_previous_stay',
            1000000), 'history', 'max'),
        ('stays_365d', '1', 'last_365d', 'sum'),
        ('revenue_365d', 'stays.total_revenue', 'last_365d', 'money'),
        ('future_stays', '1', 'label', 'sum'),
        ('future_revenue', 'stays.total_revenue', 'label', 'money'),
    ],
    sample='labeled_sample') }},

{{ snapshot_deltas('visit', 'property_visits',
    spans={'history': ('property_visits.first_visit_date', none)},
    measures=[('properties_visited', '1', 'history', 'sum')],
    sample='labeled_sample') }},

{{ snapshot_deltas('booking', 'bookings',
    spans={
        'history': ('bookings.known_date', none),
        'cancelled': ('coalesce(bookings.cancellation_known_date, ' ~ far_future ~ ')', none),
        'no_show': ('bookings.arrival_date', none),
        'open': ('bookings.known_date', 'least(bookings.arrival_date, coalesce('
            ~ 'bookings.cancellation_known_date, bookings.arrival_date))'),
    },
    measures=[
        ('bookings_count', '1', 'history', 'sum'),
        ('lead_days', 'bookings.lead_days', 'history', 'sum'),
        ('lead_known', 'case when bookings.lead_days is not null then 1 else 0 end',
            'history', 'sum'),
        ('direct_bookings', 'case when bookings.is_direct then 1 else 0 end', 'history', 'sum'),
        ('channel_known', 'case when bookings.is_direct is not null then 1 else 0 end',
            'history', 'sum'),
        ('business_trips', "case when bookings.purpose = 'business' then 1 else 0 end",
            'history', 'sum'),
        ('leisure_trips', "case when bookings.purpose = 'leisure' then 1 else 0 end",
            'history', 'sum'),
        ('family_trips', "case when bookings.purpose = 'family' then 1 else 0 end",
            'history', 'sum'),
        ('purpose_known', 'case when bookings.purpose is not null then 1 else 0 end',
            'history', 'sum'),
        ('cancellations', 'case when bookings.is_cancelled then 1 else 0 end', 'cancelled', 'sum'),
        ('no_shows', 'case when bookings.is_no_show then 1 else 0 end', 'no_show', 'sum'),
        ('upcoming_bookings', 'case when least(bookings.arrival_date, coalesce('
            ~ 'bookings.cancellation_known_date, bookings.arrival_date)) >= bookings.known_date '
            ~ 'then 1 else 0 end', 'open', 'sum'),
    ],
    sample='labeled_sample') }},

{{ snapshot_deltas('event', 'events',
    spans={
        'history': ('events.occurred_date', none),
        'last_90d': ('events.occurred_date', add_days('events.occurred_date', 90)),
        'last_180d': ('events.occurred_date', add_days('events.occurred_date', 180)),
        'last_365d': ('events.occurred_date', add_days('events.occurred_date', 365)),
    },
    measures=[
        ('email_sends_180d', "case when events.event_type = 'email_send' then 1 else 0 end",
            'last_180d', 'sum'),
        ('email_opens_180d', "case when events.event_type = 'email_open' then 1 else 0 end",
            'last_180d', 'sum'),
        ('email_clicks_180d', "case when events.event_type = 'email_click' then 1 else 0 end",
            'last_180d', 'sum'),
        ('email_opens_90d', "case when events.event_type = 'email_open' then 1 else 0 end",
            'last_90d', 'sum'),
        ('sessions_90d',
            "case when events.event_type in ('app_session', 'web_session') then 1 else 0 end",
            'last_90d', 'sum'),
        ('app_sessions_90d', "case when events.event_type = 'app_session' then 1 else 0 end",
            'last_90d', 'sum'),
        ('social_actions_365d',
            "case when events.event_type in ('social_mention', 'social_share') then 1 else 0 end",
            'last_365d', 'sum'),
        ('unsubscribes', "case when events.event_type = 'email_unsubscribe' then 1 else 0 end",
            'history', 'sum'),
        ('last_engagement_date', "case when events.event_type in ('email_open', 'email_click', "
            ~ "'sms_click', 'push_open', 'app_session', 'web_session', 'social_mention', "
            ~ "'social_share') then events.occurred_date end", 'history', 'max'),
    ],
    sample='labeled_sample') }},

{{ snapshot_deltas('loyalty', 'loyalty',
    spans={
        'history': ('loyalty.occurred_date', none),
        'last_365d': ('loyalty.occurred_date', add_days('loyalty.occurred_date', 365)),
    },
    measures=[
        ('loyalty_transactions', '1', 'history', 'sum'),
        ('points_balance', 'loyalty.signed_points', 'history', 'sum'),
        ('points_earned_365d', "case when loyalty.transaction_type = 'earn' "
            ~ "then loyalty.signed_points else 0 end", 'last_365d', 'sum'),
        ('points_redeemed_365d', "case when loyalty.transaction_type = 'redeem' "
            ~ "then -loyalty.signed_points else 0 end", 'last_365d', 'sum'),
        ('tier_key', pack_latest('loyalty.occurred_date', 'loyalty.tier_rank', 100),
            'history', 'max'),
    ],
    sample='labeled_sample') }},

{#- sentiment sums in thousandths: integer sums are the same on every run, float sums need not be #}
{{ snapshot_deltas('review', 'reviews',
    spans={'history': ('reviews.submitted_date', none)},
    measures=[
        ('reviews_count', '1', 'history', 'sum'),
        ('rating_total', 'reviews.rating', 'history', 'sum'),
        ('ratings_count', 'case when reviews.rating is not null then 1 else 0 end',
            'history', 'sum'),
        ('nps_total', 'reviews.nps', 'history', 'sum'),
        ('nps_count', 'case when reviews.nps is not null then 1 else 0 end', 'history', 'sum'),
        ('last_nps_key', pack_latest('reviews.submitted_date', 'reviews.nps', 100),
            'history', 'max'),
        ('sentiment_total', 'coalesce(cast(round(reviews.sentiment * 1000) as integer), 0)',
            'history', 'sum'),
        ('sentiment_count', 'case when reviews.sentiment is not null then 1 else 0 end',
            'history', 'sum'),
        ('negative_topics', 'coalesce(reviews.unresolved_negative_topics, 0)', 'history',
            'sum'),
    ],
    sample='labeled_sample') }},

{{ snapshot_deltas('request', 'requests',
    spans={'history': ('requests.known_date', none)},
    measures=[
        ('special_requests', '1', 'history', 'sum'),
        ('complaints', 'case when requests.is_complaint then 1 else 0 end', 'history', 'sum'),
    ],
    sample='labeled_sample') }},

{%- for part in ['sampled', 'single'] %}

-- sampled guests (running sums over their snapshots) and the others (one row: their deltas)
cumulated_{{ part }} as (
    select
        grid.guest_id,
        grid.snapshot_index,
        grid.snapshot_date,
        grid.is_labeled,
        grid.first_stay_date,
        {{ running('stay_deltas.stays_count', single=(part == 'single')) }} as stays_count,
        {{ guestloyalty.round_to(running('stay_deltas.revenue', single=(part == 'single')), 2) }} as lifetime_revenue,
        {{ running('stay_deltas.nights', single=(part == 'single')) }} as nights,
        {{ running('stay_deltas.nights_known', single=(part == 'single')) }} as nights_known,
        {{ running('stay_deltas.weekend_nights', single=(part == 'single')) }} as weekend_nights,
        {{ guestloyalty.round_to(running('stay_deltas.ancillary_revenue', single=(part == 'single')), 2) }} as ancillary_revenue,
        {{ guestloyalty.round_to(running('stay_deltas.rated_room_revenue', single=(part == 'single')), 2) }} as rated_room_revenue,
        {{ running('stay_deltas.rated_nights', single=(part == 'single')) }} as rated_nights,
        {{ running('stay_deltas.upgrades', single=(part == 'single')) }} as upgrades,
        {{ running('stay_deltas.service_failures', single=(part == 'single')) }} as service_failures_count,
        {{ running('stay_deltas.last_failure_date', 'max', single=(part == 'single')) }} as last_failure_date,
        {{ running('stay_deltas.last_stay_date', 'max', single=(part == 'single')) }} as last_stay_date,
        {{ running('stay_deltas.last_gap_key', 'max', single=(part == 'single')) }} as last_gap_key,
        {{ running('stay_deltas.stays_365d', single=(part == 'single')) }} as stays_last_365d,
        {{ guestloyalty.round_to(running('stay_deltas.revenue_365d', single=(part == 'single')), 2) }} as revenue_last_365d,
        {{ running('stay_deltas.future_stays', single=(part == 'single')) }} as future_stays,
        {{ guestloyalty.round_to(running('stay_deltas.future_revenue', single=(part == 'single')), 2) }} as future_revenue,
        {{ running('visit_deltas.properties_visited', single=(part == 'single')) }} as properties_visited,
        {{ running('booking_deltas.bookings_count', single=(part == 'single')) }} as bookings_count,
        {{ running('booking_deltas.lead_days', single=(part == 'single')) }} as lead_days,
        {{ running('booking_deltas.lead_known', single=(part == 'single')) }} as lead_known,
        {{ running('booking_deltas.direct_bookings', single=(part == 'single')) }} as direct_bookings,
        {{ running('booking_deltas.channel_known', single=(part == 'single')) }} as channel_known,
        {{ running('booking_deltas.business_trips', single=(part == 'single')) }} as business_trips,
        {{ running('booking_deltas.leisure_trips', single=(part == 'single')) }} as leisure_trips,
        {{ running('booking_deltas.family_trips', single=(part == 'single')) }} as family_trips,
        {{ running('booking_deltas.purpose_known', single=(part == 'single')) }} as purpose_known,
        {{ running('booking_deltas.cancellations', single=(part == 'single')) }} as cancellations_count,
        {{ running('booking_deltas.no_shows', single=(part == 'single')) }} as no_shows_count,
        {{ running('booking_deltas.upcoming_bookings', single=(part == 'single')) }} as upcoming_bookings,
        {{ running('event_deltas.email_sends_180d', single=(part == 'single')) }} as email_sends_180d,
        {{ running('event_deltas.email_opens_180d', single=(part == 'single')) }} as email_opens_180d,
        {{ running('event_deltas.email_clicks_180d', single=(part == 'single')) }} as email_clicks_180d,
        {{ running('event_deltas.email_opens_90d', single=(part == 'single')) }} as email_opens_90d,
        {{ running('event_deltas.sessions_90d', single=(part == 'single')) }} as sessions_90d,
        {{ running('event_deltas.app_sessions_90d', single=(part == 'single')) }} as app_sessions_90d,
        {{ running('event_deltas.social_actions_365d', single=(part == 'single')) }} as social_actions_365d,
        {{ running('event_deltas.unsubscribes', single=(part == 'single')) }} as unsubscribes,
        {{ running('event_deltas.last_engagement_date', 'max', single=(part == 'single')) }} as last_engagement_date,
        {{ running('loyalty_deltas.loyalty_transactions', single=(part == 'single')) }} as loyalty_transactions,
        {{ running('loyalty_deltas.points_balance', single=(part == 'single')) }} as points_balance,
        {{ running('loyalty_deltas.points_earned_365d', single=(part == 'single')) }} as points_earned_365d,
        {{ running('loyalty_deltas.points_redeemed_365d', single=(part == 'single')) }} as points_redeemed_365d,
        {{ running('loyalty_deltas.tier_key', 'max', single=(part == 'single')) }} as tier_key,
        {{ running('review_deltas.reviews_count', single=(part == 'single')) }} as reviews_count,
        {{ running('review_deltas.rating_total', single=(part == 'single')) }} as rating_total,
        {{ running('review_deltas.ratings_count', single=(part == 'single')) }} as ratings_count,
        {{ running('review_deltas.nps_total', single=(part == 'single')) }} as nps_total,
        {{ running('review_deltas.nps_count', single=(part == 'single')) }} as nps_count,
        {{ running('review_deltas.last_nps_key', 'max', single=(part == 'single')) }} as last_nps_key,
        {{ running('review_deltas.sentiment_total', single=(part == 'single')) }} as sentiment_total,
        {{ running('review_deltas.sentiment_count', single=(part == 'single')) }} as sentiment_count,
        {{ running('review_deltas.negative_topics', single=(part == 'single')) }} as unresolved_negative_topics,
        {{ running('request_deltas.special_requests', single=(part == 'single')) }} as special_requests_count,
        {{ running('request_deltas.complaints', single=(part == 'single')) }} as complaints_count
    from grid
    {%- for name in ['stay', 'visit', 'booking', 'event', 'loyalty', 'review', 'request'] %}
    {#- sampled guests read the folded deltas, the others their one current row #}
    left join {{ name }}_{{ 'current' if part == 'single' else 'folded' }} as {{ name }}_deltas
        on grid.guest_id = {{ name }}_deltas.guest_id
        and grid.snapshot_index = {{ name }}_deltas.snapshot_index
    {%- endfor %}
    where {{ 'not' if part == 'single' }} grid.is_sampled
),
{%- endfor %}

cumulated as (
    select * from cumulated_sampled
    union all
    select * from cumulated_single
),

-- ADR of all stays before each snapshot, from every guest's stay buckets (index_1 is the
-- check-in's index: the first date of the stay spans), so it does not depend on the sample.
-- Exact decimal sums: a parallel float sum would differ in the last bit between runs.
market_rate_buckets as (
    select
        index_1 as snapshot_index,
        sum(cast(rated_room_revenue as decimal(18, 2))) as rated_room_revenue,
        sum(rated_nights) as rated_nights
    from stay_buckets
    group by index_1
),

market_rate as (
    select
        snapshots.snapshot_index,
        cast(sum(market_rate_buckets.rated_room_revenue) as double)
            / nullif(sum(market_rate_buckets.rated_nights), 0) as market_daily_rate
    from snapshots
    inner join market_rate_buckets
        on snapshots.snapshot_index >= market_rate_buckets.snapshot_index
    group by snapshots.snapshot_index
),

final as (
    select
        cumulated.guest_id,
        cumulated.snapshot_date,
        cumulated.is_labeled,
        sample_weights.sample_weight,
        -- stays: frequency, value, recency
        cumulated.stays_count,
        cumulated.lifetime_revenue,
        cumulated.lifetime_revenue / cumulated.stays_count as avg_stay_revenue,
        cumulated.nights * 1.0 / nullif(cumulated.nights_known, 0) as avg_nights,
        cumulated.weekend_nights * 1.0 / nullif(cumulated.nights, 0) as weekend_night_share,
        cumulated.ancillary_revenue / nullif(cumulated.lifetime_revenue, 0) as ancillary_share,
        cumulated.rated_room_revenue / nullif(cumulated.rated_nights, 0) as avg_daily_rate,
        cumulated.rated_room_revenue / nullif(cumulated.rated_nights, 0)
            / nullif(market_rate.market_daily_rate, 0) as relative_daily_rate,
        cumulated.upgrades * 1.0 / cumulated.stays_count as upgrade_share,
        cumulated.service_failures_count,
        {{ days_between('cumulated.last_failure_date', 'cumulated.snapshot_date') }}
            as days_since_last_service_failure,
        {{ days_between('cumulated.last_stay_date', 'cumulated.snapshot_date') }}
            as days_since_last_stay,
        {{ days_between('cumulated.first_stay_date', 'cumulated.snapshot_date') }}
            as days_since_first_stay,
        case when cumulated.stays_count > 1
            then {{ days_between('cumulated.first_stay_date', 'cumulated.last_stay_date') }}
                / (cumulated.stays_count - 1.0)
        end as mean_days_between_stays,
        case when cumulated.stays_count > 1
            then {{ unpack_latest('cumulated.last_gap_key', 1000000) }}
        end as last_gap_days,
        case when cumulated.stays_count > 1
            then {{ unpack_latest('cumulated.last_gap_key', 1000000) }}
                / nullif({{ days_between('cumulated.first_stay_date', 'cumulated.last_stay_date') }}
                    / (cumulated.stays_count - 1.0), 0)
        end as gap_trend,
        cumulated.stays_last_365d,
        cumulated.revenue_last_365d,
        cumulated.properties_visited,
        -- bookings: channel and purpose mix, lead time, cancellations, what is coming
        cumulated.bookings_count,
        cumulated.cancellations_count,
        cumulated.no_shows_count,
        cumulated.cancellations_count * 1.0 / nullif(cumulated.bookings_count, 0)
            as cancellation_rate,
        cumulated.lead_days * 1.0 / nullif(cumulated.lead_known, 0) as avg_lead_days,
        cumulated.direct_bookings * 1.0 / nullif(cumulated.channel_known, 0)
            as direct_booking_share,
        cumulated.business_trips * 1.0 / nullif(cumulated.purpose_known, 0)
            as business_trip_share,
        cumulated.leisure_trips * 1.0 / nullif(cumulated.purpose_known, 0)
            as leisure_trip_share,
        cumulated.family_trips * 1.0 / nullif(cumulated.purpose_known, 0) as family_trip_share,
        cumulated.upcoming_bookings,
        -- engagement
        cumulated.email_sends_180d,
        cumulated.email_opens_180d,
        cumulated.email_opens_180d * 1.0 / nullif(cumulated.email_sends_180d, 0)
            as email_open_rate_180d,
        cumulated.email_opens_90d,
        cumulated.email_opens_180d - cumulated.email_opens_90d as email_opens_prior_90d,
        2 * cumulated.email_opens_90d - cumulated.email_opens_180d as email_open_trend,
        cumulated.email_clicks_180d,
        cumulated.sessions_90d,
        cumulated.app_sessions_90d,
        cumulated.social_actions_365d,
        case when cumulated.unsubscribes > 0 then 1 else 0 end as is_unsubscribed,
        {{ days_between('cumulated.last_engagement_date', 'cumulated.snapshot_date') }}
            as days_since_last_engagement,
        -- loyalty programme
        case
            when cumulated.loyalty_transactions > 0 or guests.is_loyalty_member then 1 else 0
        end as is_loyalty_member,
        {{ unpack_latest('cumulated.tier_key', 100) }} as loyalty_tier_rank,
        cumulated.points_balance,
        cumulated.points_earned_365d,
        cumulated.points_redeemed_365d,
        -- reviews and service
        cumulated.reviews_count,
        cumulated.rating_total * 1.0 / nullif(cumulated.ratings_count, 0) as avg_rating,
        cumulated.nps_total * 1.0 / nullif(cumulated.nps_count, 0) as avg_nps,
        {{ unpack_latest('cumulated.last_nps_key', 100) }} as last_nps,
        cumulated.sentiment_total / 1000.0 / nullif(cumulated.sentiment_count, 0)
            as avg_review_sentiment,
        cumulated.unresolved_negative_topics,
        cumulated.complaints_count,
        cumulated.special_requests_count,
        -- profile
        floor({{ days_between('guests.birth_date', 'cumulated.snapshot_date') }} / 365.25)
            as age_years,
        -- labels
        case
            when cumulated.is_labeled then case when cumulated.future_stays = 0 then 1 else 0 end
        end as churned,
        case when cumulated.is_labeled then cumulated.future_revenue end as future_revenue
    from cumulated
    inner join sample_weights on cumulated.snapshot_index = sample_weights.snapshot_index
    left join market_rate on cumulated.snapshot_index = market_rate.snapshot_index
    left join guests on cumulated.guest_id = guests.guest_id
)

select * from final
