#!/usr/bin/env bash
# Installs from Debian what the suite needs and the machine lacks: Java 17+ and Maven for the
# local Kafka broker; Prometheus (prometheus, promtool) for the metrics and alert-rule tests;
# Alertmanager (prometheus-alertmanager, amtool) for the routing config and the alert path tests;
# Chromium and its WebDriver for the live-page tests (the browser is never downloaded); Node.js
# to run the pages' pure modules (static/integrity.js) in the unit tests.
# Does nothing when they are there; needs root (or sudo) otherwise.
set -euo pipefail

need=()
if ! command -v java >/dev/null 2>&1; then
  need+=(openjdk-17-jre-headless)
else
  major=$(java -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1])}')
  if [ "${major:-0}" -lt 17 ]; then need+=(openjdk-17-jre-headless); fi
fi
command -v mvn >/dev/null 2>&1 || need+=(maven)
if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
  need+=(prometheus)
fi
# Debian's Alertmanager: the binary is named prometheus-alertmanager; amtool comes with it.
if [ ! -x /usr/bin/prometheus-alertmanager ] || ! command -v amtool >/dev/null 2>&1; then
  need+=(prometheus-alertmanager)
fi
# The tests drive these exact paths: Debian's builds, matched to each other.
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
command -v node >/dev/null 2>&1 || need+=(nodejs)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "installing from Debian: ${need[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
