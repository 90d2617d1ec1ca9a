#!/usr/bin/env bash
# Deploys athena-to-bigquery as a Cloud Functions (gen2) HTTP function, secure by default:
#  - the function requires authentication (no --allow-unauthenticated); only the scheduler's service
#    account gets roles/run.invoker;
#  - it runs as its own service account with least privilege (BigQuery job user on the project, data
#    editor on the target dataset, object viewer on the config bucket), never the default compute SA;
#  - AWS is reached without any stored key: the script prints the IAM trust policy (conditions on the
#    SA's unique id, DESIGN §3) and a least-privilege permission policy for the AWS side to apply.
#
# Usage: PROJECT_ID=… REGION=… CONFIG_URI=gs://bucket/config.yaml DATASET=… ./deploy.sh [--schedule "0 * * * *"]
# Optional, for the printed AWS policy: AWS_REGION_NAME, AWS_ACCOUNT_ID, WORKGROUP, DATA_BUCKET, RESULTS_BUCKET.
set -euo pipefail

: "${PROJECT_ID:?set PROJECT_ID}"
: "${REGION:=us-central1}"
: "${CONFIG_URI:?set CONFIG_URI=gs://bucket/config.yaml}"
: "${DATASET:?set DATASET (the BigQuery dataset the function writes to)}"
FUNCTION_NAME=${FUNCTION_NAME:-athena-to-bigquery}
SA_NAME=${SA_NAME:-athena-to-bigquery}
SCHEDULER_SA_NAME=${SCHEDULER_SA_NAME:-athena-to-bigquery-invoker}
SCHEDULE=""
if [ "${1:-}" = "--schedule" ]; then SCHEDULE=${2:?--schedule needs a cron expression}; fi

SA_EMAIL="$SA_NAME@$PROJECT_ID.iam.gserviceaccount.com"
SCHEDULER_SA_EMAIL="$SCHEDULER_SA_NAME@$PROJECT_ID.iam.gserviceaccount.com"
case "$CONFIG_URI" in
  gs://?*/?*) ;;
  *) echo "CONFIG_URI must be gs://BUCKET/OBJECT for a deployed function (a local path only works for local runs); got: $CONFIG_URI" >&2; exit 1 ;;
esac
CONFIG_BUCKET=$(printf '%s' "$CONFIG_URI" | sed -E 's#^gs://([^/]+)/.*#\1#')
# Cloud Scheduler gives an HTTP attempt at most 30 minutes; the run budget stays below that (and below the
# function timeout) so a slow query is stopped and reported before Scheduler gives up and retries.
RUN_BUDGET_SECONDS=${RUN_BUDGET_SECONDS:-1680}
WORKGROUP=${WORKGROUP:-primary}
AWS_REGION_NAME=${AWS_REGION_NAME:-us-east-1}
AWS_ACCOUNT_ID=${AWS_ACCOUNT_ID:-YOUR-AWS-ACCOUNT-ID}
DATA_BUCKET=${DATA_BUCKET:-YOUR-DATA-BUCKET}
RESULTS_BUCKET=${RESULTS_BUCKET:-YOUR-ATHENA-RESULTS-BUCKET}

gc() { gcloud --project "$PROJECT_ID" --quiet "$@"; }

echo "== service accounts"
gc iam service-accounts describe "$SA_EMAIL" >/dev/null 2>&1 ||
  gc iam service-accounts create "$SA_NAME" --display-name "athena-to-bigquery runtime"
gc iam service-accounts describe "$SCHEDULER_SA_EMAIL" >/dev/null 2>&1 ||
  gc iam service-accounts create "$SCHEDULER_SA_NAME" --display-name "athena-to-bigquery invoker"

echo "== least-privilege grants"
gc projects add-iam-policy-binding "$PROJECT_ID" --member "serviceAccount:$SA_EMAIL" --role roles/bigquery.jobUser --condition=None >/dev/null
bq --project_id "$PROJECT_ID" show --format=none "$DATASET" 2>/dev/null ||
  { echo "Dataset $PROJECT_ID:$DATASET does not exist: create it (bq mk --dataset --location=US $PROJECT_ID:$DATASET) and rerun."; exit 1; }
# Dataset-level dataEditor, not project-wide: the function can write only where it is meant to.
bq --project_id "$PROJECT_ID" query --use_legacy_sql=false --quiet \
  "GRANT \`roles/bigquery.dataEditor\` ON SCHEMA \`$PROJECT_ID.$DATASET\` TO \"serviceAccount:$SA_EMAIL\"" >/dev/null
gcloud storage buckets add-iam-policy-binding "gs://$CONFIG_BUCKET" --member "serviceAccount:$SA_EMAIL" \
  --role roles/storage.objectViewer --project "$PROJECT_ID" >/dev/null

echo "== deploy (authentication required)"
gc functions deploy "$FUNCTION_NAME" \
  --gen2 --runtime nodejs22 --region "$REGION" --source . \
  --entry-point athenaToBigQuery --trigger-http --no-allow-unauthenticated \
  --service-account "$SA_EMAIL" --memory 512Mi --timeout 1800s --max-instances 3 --concurrency 1 \
  --set-env-vars "CONFIG_URI=$CONFIG_URI,RUN_BUDGET_SECONDS=$RUN_BUDGET_SECONDS"

gc functions add-invoker-policy-binding "$FUNCTION_NAME" --region "$REGION" --member "serviceAccount:$SCHEDULER_SA_EMAIL" >/dev/null
URL=$(gc functions describe "$FUNCTION_NAME" --region "$REGION" --gen2 --format 'value(serviceConfig.uri)')

if [ -n "$SCHEDULE" ]; then
  echo "== Cloud Scheduler (OIDC): retries of one tick share X-CloudScheduler-ScheduleTime, so they converge"
  gc scheduler jobs delete "$FUNCTION_NAME" --location "$REGION" >/dev/null 2>&1 || true
  gc scheduler jobs create http "$FUNCTION_NAME" --location "$REGION" --schedule "$SCHEDULE" \
    --uri "$URL" --http-method POST --headers Content-Type=application/json --message-body '{}' \
    --oidc-service-account-email "$SCHEDULER_SA_EMAIL" --oidc-token-audience "$URL" \
    --attempt-deadline 30m --max-retry-attempts 3 --min-backoff 60s
fi

UNIQUE_ID=$(gc iam service-accounts describe "$SA_EMAIL" --format 'value(uniqueId)')
cat <<EOF

Deployed: $URL (authentication required)
Run it:   curl -X POST -H "Authorization: Bearer \$(gcloud auth print-identity-token)" -H 'Content-Type: application/json' -d '{}' $URL

AWS side: create the IAM role named in config.yaml (aws.iam_role_name) with this TRUST policy. The
conditions pin the role to this one service account: 'oaud' is the token's audience, 'aud' is its azp and
'sub' its subject, both the SA's unique id ($UNIQUE_ID). Putting sts.amazonaws.com in ':aud' never matches.
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"Federated": "accounts.google.com"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringEquals": {
      "accounts.google.com:oaud": "sts.amazonaws.com",
      "accounts.google.com:aud": "$UNIQUE_ID",
      "accounts.google.com:sub": "$UNIQUE_ID"
    }}
  }]
}
and this PERMISSION policy (least privilege: read the data, write only query results):
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:StopQueryExecution", "athena:GetWorkGroup", "athena:GetTableMetadata"],
     "Resource": "arn:aws:athena:$AWS_REGION_NAME:$AWS_ACCOUNT_ID:workgroup/$WORKGROUP"},
    {"Effect": "Allow", "Action": ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions"],
     "Resource": ["arn:aws:glue:$AWS_REGION_NAME:$AWS_ACCOUNT_ID:catalog", "arn:aws:glue:$AWS_REGION_NAME:$AWS_ACCOUNT_ID:database/*", "arn:aws:glue:$AWS_REGION_NAME:$AWS_ACCOUNT_ID:table/*"]},
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"],
     "Resource": ["arn:aws:s3:::$DATA_BUCKET", "arn:aws:s3:::$DATA_BUCKET/*"]},
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
     "Resource": ["arn:aws:s3:::$RESULTS_BUCKET", "arn:aws:s3:::$RESULTS_BUCKET/*"]}
  ]
}
Narrow database/* and table/* to the databases and tables your jobs read.
(For S3 Tables / Lake Formation, also grant the role SELECT on the tables in Lake Formation.)
EOF
