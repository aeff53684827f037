import { useQuery } from "@tanstack/react-query";
import { Input, Select, Space, Table, Tag, Tooltip, Typography } from "antd";
import type { ColumnsType } from "antd/es/table";
import { useState } from "react";
import { useNavigate, useParams } from "react-router-dom";
import { apiGet, type Page } from "../../api/client";
import type { Agency, Catalogue, IndicatorSummary } from "../../api/types";
import { AgencyTags } from "../../components/AgencyTags";
import { QueryState } from "../../components/QueryState";
import { useHomeDefaults } from "../../components/useHome";
import { periodTypeLabels, rowKindLabels } from "../../components/labels";
import { IndicatorDrawer } from "./IndicatorDrawer";

const PAGE_SIZE = 50;

export default function CatalogueBrowser() {
  const params = useParams();
  const navigate = useNavigate();
  const home = useHomeDefaults();
  // Without a catalogue in the address: the install's own (a province's catalogue on a province's install).
  const catalogueId = params.catalogueId ?? home.catalogueId;
  const [group, setGroup] = useState<string>();
  const [subgroup, setSubgroup] = useState<string>();
  const [agency, setAgency] = useState<string>();
  const [frequency, setFrequency] = useState<string>();
  const [q, setQ] = useState("");
  const [page, setPage] = useState(1);
  const [selected, setSelected] = useState<string>();

  const catalogues = useQuery({
    queryKey: ["catalogues"],
    queryFn: () => apiGet<Page<Catalogue>>("/api/catalogues"),
  });
  const agencies = useQuery({
    queryKey: ["agencies", "all"],
    queryFn: () => apiGet<Page<Agency>>("/api/agencies", { limit: 5000 }),
  });
  const filters = {
    group,
    subgroup,
    agency,
    frequency,
    q: q.trim() || undefined,
    limit: PAGE_SIZE,
    offset: (page - 1) * PAGE_SIZE,
  };
  const indicators = useQuery({
    queryKey: ["indicators", catalogueId, filters],
    enabled: !!params.catalogueId || home.ready,
    queryFn: () => apiGet<Page<IndicatorSummary>>(`/api/catalogues/${catalogueId}/indicators`, filters),
  });
  const catalogue = catalogues.data?.items.find((c) => c.id === catalogueId);
  const subgroups = catalogue?.groups.find((g) => g.code === group)?.subgroups ?? [];
  const reset = (fn: () => void) => {
    fn();
    setPage(1);
  };

  const columns: ColumnsType<IndicatorSummary> = [
    {
      title: "Mã",
      dataIndex: "code",
      width: 120,
      render: (code: string) => <Typography.Text code>{code}</Typography.Text>,
    },
    { title: "STT", dataIndex: "stt", width: 60 },
    {
      title: "Tên chỉ số",
      key: "name",
      width: 440,
      render: (_, r) => (
        <Space direction="vertical" size={0}>
          <a onClick={() => setSelected(r.code)} style={{ paddingLeft: r.parentCode ? 16 : 0 }} data-testid="indicator-name">
            {r.name}
          </a>
          {r.details && <Typography.Text type="secondary">({r.details})</Typography.Text>}
          {r.kind !== "indicator" && <Tag>{rowKindLabels[r.kind]}</Tag>}
        </Space>
      ),
    },
    {
      title: "Đơn vị tính",
      dataIndex: "unit",
      width: 110,
      render: (unit: string | null, r) =>
        unit && r.unitInferred ? (
          <Tooltip title="Văn bản không ghi đơn vị tính; đơn vị đề xuất">
            <span>{unit}*</span>
          </Tooltip>
        ) : (
          unit
        ),
    },
    { title: "Phạm vi", dataIndex: "scopeAsWritten", width: 140 },
    { title: "Thời gian", dataIndex: "frequencyAsWritten", width: 120 },
    {
      title: "Cơ quan thực hiện",
      key: "agencies",
      width: 220,
      render: (_, r) => <AgencyTags agencies={r.agencies} />,
    },
  ];

  return (
    <>
      <Typography.Title level={3}>Bộ chỉ số</Typography.Title>
      <Space wrap style={{ marginBottom: 12 }}>
        <Select
          style={{ minWidth: 320 }}
          value={catalogueId}
          loading={catalogues.isLoading}
          onChange={(id) => {
            setGroup(undefined);
            setSubgroup(undefined);
            setPage(1);
            navigate(`/chi-so/${id}`);
          }}
          options={catalogues.data?.items.map((c) => ({
            value: c.id,
            label: `${c.document.number ?? "Kế hoạch"} — ${c.document.issuer}`,
          }))}
          aria-label="Chọn bộ chỉ số"
        />
        <Select
          allowClear
          placeholder="Nhóm"
          style={{ width: 120 }}
          value={group}
          onChange={(v) => reset(() => (setGroup(v), setSubgroup(undefined)))}
          options={catalogue?.groups.map((g) => ({
            value: g.code,
            label: `Nhóm ${g.code} (${g.count})`,
          }))}
        />
        {subgroups.length > 0 && (
          <Select
            allowClear
            placeholder="Nhóm con"
            style={{ width: 260 }}
            value={subgroup}
            onChange={(v) => reset(() => setSubgroup(v))}
            options={subgroups.map((s) => ({
              value: s.code,
              label: `${s.code}. ${s.name} (${s.count})`,
            }))}
          />
        )}
        <Select
          allowClear
          showSearch
          optionFilterProp="label"
          placeholder="Cơ quan thực hiện"
          style={{ width: 260 }}
          value={agency}
          onChange={(v) => reset(() => setAgency(v))}
          options={agencies.data?.items.filter((a) => !a.dissolvedOn).map((a) => ({ value: a.code, label: a.name }))}
        />
        <Select
          allowClear
          placeholder="Tần suất"
          style={{ width: 130 }}
          value={frequency}
          onChange={(v) => reset(() => setFrequency(v))}
          options={Object.entries(periodTypeLabels).map(([value, label]) => ({
            value,
            label,
          }))}
        />
        <Input.Search
          allowClear
          placeholder="Tìm chỉ số (không cần dấu)"
          style={{ width: 280 }}
          onSearch={(v) => reset(() => setQ(v))}
          data-testid="indicator-search"
        />
      </Space>
      {catalogue && (
        <Typography.Paragraph type="secondary">
          {catalogue.name} — {catalogue.appendix}, {catalogue.document.number ?? "kế hoạch chưa ghi số"} của{" "}
          {catalogue.document.issuer}. Đơn vị có dấu * là đơn vị đề xuất (văn bản không ghi).
        </Typography.Paragraph>
      )}
      <QueryState isLoading={false} error={indicators.error}>
        <Table
          rowKey="code"
          size="small"
          loading={indicators.isLoading}
          columns={columns}
          dataSource={indicators.data?.items}
          scroll={{ x: 1200 }}
          tableLayout="fixed"
          pagination={{
            current: page,
            pageSize: PAGE_SIZE,
            total: indicators.data?.total,
            showSizeChanger: false,
            showTotal: (total) => `${total} dòng`,
            onChange: setPage,
          }}
          onRow={(r) => ({ onDoubleClick: () => setSelected(r.code) })}
        />
      </QueryState>
      <IndicatorDrawer code={selected} onClose={() => setSelected(undefined)} onOpen={setSelected} />
    </>
  );
}
