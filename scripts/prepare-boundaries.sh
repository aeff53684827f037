#!/usr/bin/env bash
# Rebuilds data/admin/boundaries/provinces-34.geojson from the 34 per-province GeoJSON files
# (vietnamese-provinces-database, MIT). Run by a maintainer when the source data changes; the product
# only ever reads the output, which is committed; mapshaper is fetched on demand, not a project dependency.
# `keep-shapes` keeps every island polygon, so the Hoàng Sa (Đà Nẵng) and Trường Sa (Khánh Hòa) archipelagos survive simplification.
set -euo pipefail
src=${1:?usage: prepare-boundaries.sh DIR_WITH_PROVINCE_GEOJSON}
out=data/admin/boundaries/provinces-34.geojson
npx --yes mapshaper@0.6.121 -i "$src"/*.geojson combine-files \
  -merge-layers force \
  -simplify 12% keep-shapes planar \
  -filter-fields code,name,nameEn,fullName,areaKm2 \
  -o "$out" format=geojson precision=0.001
ls -l "$out"
