{#
  By property, calendar month and topic, up to as_of: how often reviews mention the topic,
  the share of those mentions that are negative, and the logged complaints about it (topics
  and their polarity come from the sentiment stage, guestloyalty.scoring.sentiment).
#}
with
mentions as (select * from {{ source('sentiment', 'topic_mentions') }}),

reviews as (select * from {{ source('sentiment', 'review_sentiment') }}),

reviews_by_month as (
    select
        coalesce(property_id, 'unknown') as property_id,
        {{ dbt.date_trunc('month', 'submitted_date') }} as month_start,
        count(*) as reviews
    from reviews
    group by
        coalesce(property_id, 'unknown'),
        {{ dbt.date_trunc('month', 'submitted_date') }}
),

topics_by_month as (
    select
        coalesce(mentions.property_id, 'unknown') as property_id,
        {{ dbt.date_trunc('month', 'mentions.mentioned_date') }} as month_start,
        mentions.topic,
        sum(case when mentions.mention_source = 'review' then 1 else 0 end) as mentions,
        sum(case when mentions.mention_source = 'review' and mentions.is_negative
            then 1 else 0 end) as negative_mentions,
        sum(case when mentions.mention_source = 'review' and mentions.is_negative
            and not mentions.is_resolved then 1 else 0 end) as unresolved_negative_mentions,
        sum(case when mentions.mention_source = 'complaint' then 1 else 0 end)
            as complaint_mentions
    from mentions
    group by
        coalesce(mentions.property_id, 'unknown'),
        {{ dbt.date_trunc('month', 'mentions.mentioned_date') }},
        mentions.topic
),

final as (
    select
        topics_by_month.property_id,
        topics_by_month.month_start,
        topics_by_month.topic,
        coalesce(reviews_by_month.reviews, 0) as reviews,
        topics_by_month.mentions,
        topics_by_month.negative_mentions,
        topics_by_month.unresolved_negative_mentions,
        topics_by_month.negative_mentions * 1.0
            / nullif(topics_by_month.mentions, 0) as negative_share,
        topics_by_month.complaint_mentions
    from topics_by_month
    left join reviews_by_month
        on topics_by_month.property_id = reviews_by_month.property_id
        and topics_by_month.month_start = reviews_by_month.month_start
)

select * from final
