#!/usr/bin/env bash
# Build the roomtemp API image, tagged with the project version and with version-gitsha; never
# `latest`. Usage: deploy/build.sh [--push]
# --push pushes the version-gitsha tag only: that is what overlays and promotions refer to, and
# it names one build for ever (the plain version tag is for local use, e.g. minikube).
#   ROOMTEMP_REGISTRY  where the image goes (default ghcr.io/roomtemp; "" for a local-only name,
#                      as minikube uses)
#   DOCKER             the container CLI (default docker; podman works too)
set -euo pipefail
cd "$(dirname "$0")/.."

registry=${ROOMTEMP_REGISTRY-ghcr.io/roomtemp}
docker=${DOCKER:-docker}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml)
revision=$(git rev-parse --short=12 HEAD)
if [[ -n "$(git status --porcelain -- src pyproject.toml constraints.txt deploy/Dockerfile)" ]]; then
    revision="${revision}-dirty"
fi
image="${registry:+${registry}/}roomtemp"

"$docker" build \
    --file deploy/Dockerfile \
    --build-arg "VERSION=${version}" \
    --build-arg "REVISION=${revision}" \
    --tag "${image}:${version}" \
    --tag "${image}:${version}-${revision}" \
    .
echo "built ${image}:${version} and ${image}:${version}-${revision}"

if [[ "${1:-}" == "--push" ]]; then
    [[ "$revision" != *-dirty ]] || { echo "refusing to push an image of uncommitted changes" >&2; exit 1; }
    "$docker" push "${image}:${version}-${revision}"
fi
