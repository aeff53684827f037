import { useQuery } from "@tanstack/react-query";
import { Descriptions, Drawer, Input, Radio, Select, Space, Table, Tag, Typography } from "antd";
import { formatDate, formatNumber } from "@dieuhanh/core";
import { useState } from "react";
import { apiGet, type Page } from "../../api/client";
import type { Area, AreaDetail, MergeLink } from "../../api/types";
import { QueryState } from "../../components/QueryState";
import { mergeTypeLabels } from "../../components/labels";

const levelLabels: Record<string, string> = {
  province: "Tỉnh, thành phố",
  commune: "Xã, phường",
  district: "Huyện (đảo)",
};
const PAGE_SIZE = 50;

/** One side of the 2025 merge mapping of a unit: where it came from, or where it went. */
function MergeTable({ title, side, links }: { title: string; side: "Cũ" | "Mới"; links: MergeLink[] }) {
  if (links.length === 0) return null;
  return (
    <Table
      style={{ marginTop: 16 }}
      title={() => <b>{title}</b>}
      rowKey="id"
      size="small"
      pagination={false}
      dataSource={links}
      columns={[
        { title: `Mã ${side.toLowerCase()}`, dataIndex: "code", width: 80 },
        { title: `Đơn vị ${side.toLowerCase()}`, dataIndex: "fullName" },
        {
          title: "Sáp nhập",
          dataIndex: "mergeType",
          width: 100,
          render: (t: string) => <Tag color={t === "full" ? "green" : "orange"}>{mergeTypeLabels[t]}</Tag>,
        },
      ]}
    />
  );
}

/** Administrative units now and before the 1/7/2025 reform, with the merge mapping. */
export default function AreaBrowser() {
  const [era, setEra] = useState<"now" | "before">("now");
  const [level, setLevel] = useState("province");
  const [q, setQ] = useState("");
  const [page, setPage] = useState(1);
  const [selected, setSelected] = useState<string>();
  const at = era === "now" ? undefined : "2025-06-30";
  const list = useQuery({
    queryKey: ["areas", era, level, q, page],
    queryFn: () =>
      apiGet<Page<Area>>("/api/areas", {
        level,
        at,
        q: q || undefined,
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
      }),
  });
  const detail = useQuery({
    queryKey: ["area", selected],
    queryFn: () => apiGet<AreaDetail>(`/api/areas/${selected}`),
    enabled: !!selected,
  });
  const d = detail.data;
  return (
    <>
      <Typography.Title level={3}>Đơn vị hành chính</Typography.Title>
      <Space wrap style={{ marginBottom: 12 }}>
        <Radio.Group value={era} onChange={(e) => (setEra(e.target.value), setPage(1))} optionType="button">
          <Radio.Button value="now">Hiện hành (từ 01/07/2025)</Radio.Button>
          <Radio.Button value="before">Trước sắp xếp (đến 30/06/2025)</Radio.Button>
        </Radio.Group>
        <Select
          value={level}
          style={{ width: 180 }}
          onChange={(v) => (setLevel(v), setPage(1))}
          options={Object.entries(levelLabels).map(([value, label]) => ({
            value,
            label,
          }))}
        />
        <Input.Search
          allowClear
          placeholder="Tìm theo tên (không cần dấu)"
          onSearch={(v) => (setQ(v), setPage(1))}
          style={{ width: 280 }}
        />
      </Space>
      <QueryState isLoading={false} error={list.error}>
        <Table
          rowKey="id"
          size="small"
          loading={list.isLoading}
          dataSource={list.data?.items}
          onRow={(r) => ({
            onClick: () => setSelected(r.id),
            style: { cursor: "pointer" },
          })}
          pagination={{
            current: page,
            pageSize: PAGE_SIZE,
            total: list.data?.total,
            onChange: setPage,
            showSizeChanger: false,
            showTotal: (t) => `${formatNumber(t)} đơn vị`,
          }}
          columns={[
            { title: "Mã", dataIndex: "code", width: 90 },
            { title: "Tên", dataIndex: "fullName" },
            { title: "Loại", dataIndex: "unitType", width: 110 },
            {
              title: "Diện tích (km²)",
              dataIndex: "areaKm2",
              width: 140,
              render: (v: number | null) => formatNumber(v),
            },
          ]}
        />
      </QueryState>
      <Drawer
        open={!!selected}
        onClose={() => setSelected(undefined)}
        title={d?.fullName ?? "Đơn vị"}
        width={Math.min(640, window.innerWidth)}
      >
        <QueryState isLoading={detail.isLoading} error={detail.error}>
          {d && (
            <>
              <Descriptions column={1} size="small" bordered>
                <Descriptions.Item label="Mã">{d.code}</Descriptions.Item>
                <Descriptions.Item label="Trực thuộc">{d.parent?.fullName ?? "—"}</Descriptions.Item>
                <Descriptions.Item label="Hiệu lực">
                  {d.validFrom ? `từ ${formatDate(d.validFrom)}` : ""} {d.validTo ? `đến ${formatDate(d.validTo)}` : ""}
                </Descriptions.Item>
                <Descriptions.Item label="Số đơn vị trực thuộc">{formatNumber(d.childCount)}</Descriptions.Item>
              </Descriptions>
              <MergeTable title="Hình thành từ (sắp xếp năm 2025)" side="Cũ" links={d.mergedFrom} />
              <MergeTable title="Nay thuộc" side="Mới" links={d.mergedInto} />
            </>
          )}
        </QueryState>
      </Drawer>
    </>
  );
}
