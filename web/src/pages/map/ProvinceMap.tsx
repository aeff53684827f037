import { useQuery } from "@tanstack/react-query";
import { Alert, Card, Col, Input, Row, Select, Table, Typography } from "antd";
import { foldVietnamese, formatNumber } from "@dieuhanh/core";
import { useMemo, useState } from "react";
import { apiGet, type Page } from "../../api/client";
import type { Area } from "../../api/types";
import { EChart } from "../../components/EChart";
import { QueryState } from "../../components/QueryState";
import { mapNameOf, useBoundaries } from "../ioc/Choropleth";

/** Label points for the two archipelagos: their islands are too small to see at national scale. */
const ARCHIPELAGOS = [
  { name: "Quần đảo Hoàng Sa", value: [112.0, 16.5], province: "Đà Nẵng", label: { position: "right" } },
  // Label to the west so it stays inside the chart on a narrow phone screen.
  { name: "Quần đảo Trường Sa", value: [114.3, 10.0], province: "Khánh Hòa", label: { position: "left" } },
];

export default function ProvinceMap() {
  const boundaries = useBoundaries("VN");
  const [province, setProvince] = useState<{ code: string; name: string }>();
  const communeBoundaries = useBoundaries(province?.code ?? null);
  const [filter, setFilter] = useState("");
  const communes = useQuery({
    queryKey: ["communes", province?.code],
    queryFn: () => apiGet<Page<Area>>("/api/areas", { parent: province!.code, limit: 5000 }),
    enabled: !!province,
  });
  // Regions are keyed by code: names differ in spelling between sources ("Khánh Hoà", "Khánh Hòa").
  const byCode = useMemo(
    () => new Map((boundaries.data?.features ?? []).map((f) => [f.properties.code, f.properties])),
    [boundaries.data],
  );

  const option = useMemo(
    () =>
      boundaries.data && {
        tooltip: {
          trigger: "item",
          formatter: (p: { name: string }) => byCode.get(p.name)?.fullName ?? p.name,
        },
        geo: {
          map: mapNameOf("VN"),
          nameProperty: "code",
          roam: true,
          // Wide enough to show both archipelagos in the East Sea.
          boundingCoords: [
            [101.5, 23.6],
            [117.5, 7.8],
          ],
          label: { show: false },
          itemStyle: {
            areaColor: "#fde8e0",
            borderColor: "#b71c1c",
            borderWidth: 0.6,
          },
          emphasis: {
            itemStyle: { areaColor: "#f4a582" },
            label: { show: true },
          },
          select: { itemStyle: { areaColor: "#d6604d" } },
          selectedMode: "single",
        },
        series: [
          {
            type: "scatter",
            coordinateSystem: "geo",
            data: ARCHIPELAGOS,
            symbolSize: 4,
            itemStyle: { color: "#b71c1c" },
            label: {
              show: true,
              formatter: "{b}",
              position: "right",
              fontWeight: "bold",
              color: "#7f0000",
            },
            tooltip: {
              formatter: (p: { name: string; data: { province: string } }) => `${p.name} (${p.data.province})`,
            },
          },
        ],
      },
    [boundaries.data, byCode],
  );
  const communeOption = useMemo(() => {
    if (!communeBoundaries.data || !province) return null;
    const names = new Map(communeBoundaries.data.features.map((f) => [f.properties.code, f.properties.fullName]));
    return {
      tooltip: { trigger: "item", formatter: (p: { name: string }) => names.get(p.name) ?? p.name },
      geo: {
        map: mapNameOf(province.code),
        nameProperty: "code",
        roam: true,
        label: { show: false },
        itemStyle: { areaColor: "#fde8e0", borderColor: "#b71c1c", borderWidth: 0.5 },
        emphasis: { itemStyle: { areaColor: "#f4a582" }, label: { show: false } },
      },
      series: [{ type: "map", geoIndex: 0, data: [] }],
    };
  }, [communeBoundaries.data, province]);

  const rows = (communes.data?.items ?? []).filter((c) => !filter || foldVietnamese(c.fullName).includes(foldVietnamese(filter)));

  return (
    <>
      <Typography.Title level={3}>Bản đồ hành chính</Typography.Title>
      <Row gutter={16}>
        <Col xs={24} lg={14}>
          <Card size="small">
            <QueryState isLoading={boundaries.isLoading} error={boundaries.error}>
              {option && (
                <EChart
                  className="map-chart"
                  testId="province-map"
                  option={option}
                  onClick={(p) => {
                    const props = byCode.get(p.name);
                    if (p.componentType === "geo" && props) setProvince({ code: props.code, name: props.fullName });
                  }}
                />
              )}
            </QueryState>
            <Typography.Text type="secondary">
              34 tỉnh, thành phố từ ngày 01/07/2025, gồm quần đảo Hoàng Sa (thành phố Đà Nẵng) và quần đảo Trường Sa (tỉnh Khánh
              Hòa). Bấm vào một tỉnh để xem danh sách xã, phường.
            </Typography.Text>
          </Card>
        </Col>
        <Col xs={24} lg={10}>
          <Card
            size="small"
            title={
              <span data-testid="commune-panel-title">
                {province ? `${province.name}: ${communes.data?.total ?? "…"} đơn vị cấp xã` : "Đơn vị cấp xã"}
              </span>
            }
          >
            <Select
              showSearch
              optionFilterProp="label"
              placeholder="Chọn tỉnh, thành phố"
              style={{ width: "100%", marginBottom: 8 }}
              value={province?.code}
              onChange={(code) => {
                const f = boundaries.data?.features.find((x) => x.properties.code === code);
                if (f) setProvince({ code, name: f.properties.fullName });
              }}
              options={boundaries.data?.features
                .map((f) => ({
                  value: f.properties.code,
                  label: f.properties.fullName,
                }))
                .sort((a, b) => a.label.localeCompare(b.label, "vi"))}
              aria-label="Chọn tỉnh, thành phố"
            />
            {!province && <Alert type="info" message="Chọn một tỉnh, thành phố trên bản đồ hoặc trong danh sách." />}
            {province && (
              <>
                {communeOption ? (
                  <EChart testId="province-communes-map" style={{ height: 320 }} option={communeOption} />
                ) : (
                  <QueryState isLoading={communeBoundaries.isLoading} error={communeBoundaries.error}>
                    {null}
                  </QueryState>
                )}
                <Input.Search
                  allowClear
                  placeholder="Lọc theo tên"
                  onChange={(e) => setFilter(e.target.value)}
                  style={{ marginBottom: 8 }}
                />
                <div data-testid="commune-table">
                  <Table
                    rowKey="id"
                    size="small"
                    loading={communes.isLoading}
                    dataSource={rows}
                    pagination={{
                      pageSize: 15,
                      showSizeChanger: false,
                      showTotal: (t) => `${formatNumber(t)} đơn vị`,
                    }}
                    columns={[
                      { title: "Mã", dataIndex: "code", width: 80 },
                      { title: "Tên", dataIndex: "fullName" },
                      { title: "Loại", dataIndex: "unitType", width: 90 },
                    ]}
                  />
                </div>
              </>
            )}
          </Card>
        </Col>
      </Row>
    </>
  );
}
