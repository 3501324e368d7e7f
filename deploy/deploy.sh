#!/usr/bin/env bash
# Deploy roomtemp to a Kubernetes cluster: deploy/deploy.sh ENV (an overlay in deploy/k8s/overlays:
# minikube, dev, test, preprod, production).
#   minikube: builds the image locally and loads it with `minikube image load` (no registry).
#   others:   the overlay names an image already pushed by CI; the current kubectl context (or
#             KUBECTL_CONTEXT) is used.
# Secrets are never in git. With ROOMTEMP_TOKENS_FILE set (a tokens file made with `roomtemp token
# create`), a read-scope token for Prometheus to scrape /metrics is added to it once (Secret
# prometheus-scrape-token) and the file becomes Secret roomtemp-tokens; without it, both Secrets
# must exist already. grafana-admin gets a random password when it does not exist yet.
set -euo pipefail
cd "$(dirname "$0")/.."

env_name=${1:?"usage: deploy/deploy.sh ENV (minikube, dev, test, preprod or production)"}
overlay="deploy/k8s/overlays/${env_name}"
[[ -f "${overlay}/kustomization.yaml" ]] || { echo "no overlay ${overlay}" >&2; exit 2; }
timeout=${ROLLOUT_TIMEOUT:-300s}

context=${KUBECTL_CONTEXT:-}
if [[ "$env_name" == minikube ]]; then
    context=minikube
    version=$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml)
    if [[ -z "${SKIP_BUILD:-}" ]]; then
        ROOMTEMP_REGISTRY="" deploy/build.sh
    fi
    minikube image load "roomtemp:${version}"
fi
kubectl=(kubectl)
[[ -n "$context" ]] && kubectl+=(--context "$context")
echo "deploying ${overlay} to context $("${kubectl[@]}" config current-context 2>/dev/null || echo "$context")"

manifests=$(mktemp)
trap 'rm -f "$manifests"' EXIT
"${kubectl[@]}" kustomize "$overlay" > "$manifests"
namespace=$(sed -n '/^kind: Namespace$/,/^---$/s/^  name: \(.*\)$/\1/p' "$manifests")

"${kubectl[@]}" apply -f "$manifests"

has_secret() { "${kubectl[@]}" -n "$namespace" get secret "$1" >/dev/null 2>&1; }
if [[ -n "${ROOMTEMP_TOKENS_FILE:-}" ]]; then
    if ! has_secret prometheus-scrape-token; then
        scrape_token=$("${ROOMTEMP:-.venv/bin/roomtemp}" token create --scope read \
            --name "prometheus-scrape-${namespace}" --file "$ROOMTEMP_TOKENS_FILE")
        "${kubectl[@]}" -n "$namespace" create secret generic prometheus-scrape-token \
            --from-literal=scrape-token="$scrape_token"
    fi
    "${kubectl[@]}" -n "$namespace" create secret generic roomtemp-tokens \
        --from-file=tokens="$ROOMTEMP_TOKENS_FILE" --dry-run=client -o yaml \
        | "${kubectl[@]}" apply -f -
elif ! has_secret roomtemp-tokens || ! has_secret prometheus-scrape-token; then
    echo "secrets roomtemp-tokens and prometheus-scrape-token are needed in ${namespace}:" >&2
    echo "  ROOMTEMP_TOKENS_FILE=deploy/.tokens roomtemp token create --scope admin --name ops" >&2
    echo "then run again with ROOMTEMP_TOKENS_FILE=deploy/.tokens" >&2
    exit 1
fi
if ! has_secret grafana-admin; then
    "${kubectl[@]}" -n "$namespace" create secret generic grafana-admin \
        --from-literal=password="$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')"
    echo "Grafana admin password: kubectl -n ${namespace} get secret grafana-admin" \
        "-o jsonpath='{.data.password}' | base64 -d"
fi

for workload in $("${kubectl[@]}" -n "$namespace" get statefulset,deployment -o name \
                    -l app.kubernetes.io/part-of=roomtemp); do
    "${kubectl[@]}" -n "$namespace" rollout status "$workload" --timeout "$timeout"
done
echo "roomtemp is up in namespace ${namespace}"
