#!/usr/bin/env bash
# Runs the migrations Container Apps job with the given image and waits for it; fails the deploy
# (before any app changes) when the migrations fail.
# Needs: RESOURCE_GROUP, JOB, IMAGE; an `az` logged in to the subscription.
set -euo pipefail
: "${RESOURCE_GROUP:?}" "${JOB:?}" "${IMAGE:?}"

execution=$(az containerapp job start --resource-group "$RESOURCE_GROUP" --name "$JOB" \
  --image "$IMAGE" --query name --output tsv)
echo "migrations: execution $execution of $JOB with $IMAGE"

for _ in $(seq 1 180); do
  status=$(az containerapp job execution show --resource-group "$RESOURCE_GROUP" --name "$JOB" \
    --job-execution-name "$execution" --query properties.status --output tsv)
  case "$status" in
    Succeeded) echo "migrations: applied"; exit 0 ;;
    Failed|Stopped|Degraded)
      echo "migrations: execution $execution ended $status; see its logs in Log Analytics" >&2
      exit 1 ;;
  esac
  sleep 10
done
echo "migrations: execution $execution still running after 30 minutes" >&2
exit 1
