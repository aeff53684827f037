#!/usr/bin/env bash
# Copies the commune boundaries (one TopoJSON per province, object named after the file, properties code, name,
# fullName, areaKm2) from the shared reference data into data/admin/boundaries/communes/, with their licence.
# Run by a maintainer when the source data changes; the product only ever reads the committed copy.
#
# The files are copied unchanged: upstream already simplified them for browsers (see the shared README:
# `mapshaper -i wards/*.geojson combine-files -merge-layers force -filter-fields code,name,fullName,areaKm2
#  -simplify 8% keep-shapes weighted -o NN_name.topo.json format=topojson quantization=1e5`, mapshaper 0.6.121),
# about 4 MB in all, 30–250 kB a province, and the server sends one province at a time. A further
# `-simplify 50% keep-shapes weighted` pass saves only 1.5 MB and leaves unrepairable self-intersections in
# about 20 provinces, so it is not applied.
set -euo pipefail
src=${1:-../shared/data/vn-admin}
out=data/admin/boundaries/communes
mkdir -p "$out"
cp "$src"/communes-topojson/*.topo.json "$out"/
cp "$src"/LICENSE-vietnamese-provinces-database.txt "$out"/
chmod 644 "$out"/*
# One file per province, named NN_name.topo.json after the province code.
test "$(ls "$out"/*.topo.json | wc -l)" -eq 34
du -sh "$out"
