-- Trained model versions, newest first: algorithm, rows, headline metrics, promoted or not.
-- @param model_name text = null : only this model (churn, clv, ...); null for all
-- @requires model_registry
select
    model_version,
    model_name,
    algorithm,
    is_promoted,
    trained_at,
    valid_snapshot,
    train_rows,
    valid_rows,
    round(try_cast(json_extract(metrics, '$.auc') as double), 4) as auc,
    round(try_cast(json_extract(metrics, '$.spearman') as double), 4) as spearman,
    round(try_cast(json_extract(metrics, '$.mae') as double), 2) as mae,
    note
from model_registry
where $model_name is null or model_name = $model_name
order by trained_at desc, model_name
