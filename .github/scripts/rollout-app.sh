#!/usr/bin/env bash
# Rolls one Container App to a new revision running IMAGE, smoke-tests it, and on failure puts
# back the revision that was serving before.
# Needs: RESOURCE_GROUP, APP_NAME, APP (gateway|worker|portal), IMAGE; an `az` logged in.
set -euo pipefail
: "${RESOURCE_GROUP:?}" "${APP_NAME:?}" "${APP:?}" "${IMAGE:?}"

previous_image=$(az containerapp show --resource-group "$RESOURCE_GROUP" --name "$APP_NAME" \
  --query 'properties.template.containers[0].image' --output tsv)
previous_revision=$(az containerapp show --resource-group "$RESOURCE_GROUP" --name "$APP_NAME" \
  --query properties.latestReadyRevisionName --output tsv)
echo "rollout $APP: $previous_revision ($previous_image) -> $IMAGE"

az containerapp update --resource-group "$RESOURCE_GROUP" --name "$APP_NAME" --image "$IMAGE" \
  --revision-suffix "r${GITHUB_RUN_ID:-manual}-${GITHUB_RUN_ATTEMPT:-1}" --output none

smoke_test() {
  local revision state fqdn path
  revision=$(az containerapp show --resource-group "$RESOURCE_GROUP" --name "$APP_NAME" \
    --query properties.latestRevisionName --output tsv)
  for _ in $(seq 1 60); do
    state=$(az containerapp revision show --resource-group "$RESOURCE_GROUP" --name "$APP_NAME" \
      --revision "$revision" --query properties.runningState --output tsv)
    case "$state" in
      Running|RunningAtMaxScale) break ;;
      Failed|Degraded) echo "rollout $APP: revision $revision is $state" >&2; return 1 ;;
    esac
    sleep 10
  done
  [ "$state" = Running ] || [ "$state" = RunningAtMaxScale ] || { echo "rollout $APP: $revision never ran" >&2; return 1; }
  # The worker has no HTTP endpoint: its container HEALTHCHECK (Redis reachable) and a running revision are the test.
  [ "$APP" = worker ] && return 0
  fqdn=$(az containerapp show --resource-group "$RESOURCE_GROUP" --name "$APP_NAME" \
    --query properties.configuration.ingress.fqdn --output tsv)
  path=/health
  [ "$APP" = portal ] && path=/api/health
  curl --fail --silent --show-error --retry 10 --retry-delay 6 --retry-all-errors --max-time 10 \
    "https://$fqdn$path"
  echo
}

if smoke_test; then
  echo "rollout $APP: $IMAGE is serving"
  exit 0
fi

echo "rollout $APP: smoke test failed; rolling back to $previous_revision" >&2
if [ "$APP" = worker ]; then
  # Single revision mode: going back means a revision of the previous image.
  az containerapp update --resource-group "$RESOURCE_GROUP" --name "$APP_NAME" --image "$previous_image" --output none
else
  az containerapp ingress traffic set --resource-group "$RESOURCE_GROUP" --name "$APP_NAME" \
    --revision-weight "$previous_revision=100" --output none
fi
exit 1
