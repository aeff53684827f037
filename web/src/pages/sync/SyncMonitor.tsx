import { DeleteOutlined, PlusOutlined, SyncOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { formatAgo, formatDateTime, formatDuration, formatNumber } from "@dieuhanh/core";
import { App, Button, Card, Descriptions, Grid, List, Popconfirm, Space, Table, Tag, Tooltip, Typography } from "antd";
import type { ColumnsType } from "antd/es/table";
import { useState, type ReactNode } from "react";
import { apiGet, apiSend } from "../../api/client";
import type { IndicatorDetail, SyncLink, SyncLinks } from "../../api/types";
import { useAuth } from "../../components/auth";
import { QueryState } from "../../components/QueryState";
import { AddLink } from "./AddLink";
import { linkStatus } from "./status";
import { Webhooks } from "./Webhooks";

const REFRESH_MS = 10_000;
/** Indicator names fetched one by one: beyond this many codes, the rest are counted, not named. */
const NAMED_CODES = 40;

/** Names of the indicators a link covers (each asked once and kept; a code the catalogue lacks stays a code). */
function useIndicatorNames(links: SyncLink[] | undefined): Map<string, string> {
  const codes = [...new Set((links ?? []).flatMap((l) => (l.indicators ?? []).slice(0, 3)))].sort().slice(0, NAMED_CODES);
  const q = useQuery({
    queryKey: ["indicator-names", codes.join(",")],
    enabled: codes.length > 0,
    staleTime: Infinity,
    queryFn: async () =>
      Promise.all(codes.map((c) => apiGet<IndicatorDetail>(`/api/indicators/${encodeURIComponent(c)}`).catch(() => null))),
  });
  return new Map((q.data ?? []).filter((i): i is IndicatorDetail => !!i).map((i) => [i.code, i.name]));
}

/** The data a link brings: its area and indicators, by name. */
function Scope({ link, names }: { link: SyncLink; names: Map<string, string> }) {
  const codes = link.indicators;
  const shown = (codes ?? []).slice(0, 3);
  return (
    <Space orientation="vertical" size={0}>
      <span>
        <Typography.Text type="secondary">Địa bàn: </Typography.Text>
        {link.areaName ?? link.areaId ?? "cả nước"}
      </span>
      <span>
        <Typography.Text type="secondary">Chỉ số: </Typography.Text>
        {!codes || codes.length === 0 ? (
          "tất cả"
        ) : (
          <Tooltip title={`Mã chỉ số: ${codes.join(", ")}`}>
            <span>
              {shown.map((c) => names.get(c) ?? c).join("; ")}
              {codes.length > shown.length && ` và ${formatNumber(codes.length - shown.length)} chỉ số khác`}
            </span>
          </Tooltip>
        )}
      </span>
    </Space>
  );
}

function LastSuccess({ link }: { link: SyncLink }) {
  if (!link.lastSuccessAt) return <Typography.Text type="secondary">Chưa lần nào</Typography.Text>;
  return (
    <Space orientation="vertical" size={0}>
      <span>{formatDateTime(link.lastSuccessAt)}</span>
      <Typography.Text type={link.late ? "danger" : "secondary"} style={{ fontSize: 12 }}>
        {formatAgo(link.sinceSuccessSeconds)}
      </Typography.Text>
    </Space>
  );
}

const lagText = (l: SyncLink) => (l.lagSeconds === null ? "Chưa rõ" : formatDuration(l.lagSeconds));

function Changes({ link }: { link: SyncLink }) {
  return (
    <Space orientation="vertical" size={0}>
      <span>
        <Typography.Text type="secondary">Đã ghi: </Typography.Text>
        {formatNumber(link.appliedChanges)}
      </span>
      <span>
        <Typography.Text type="secondary">Bỏ qua: </Typography.Text>
        <Typography.Text type={link.skippedChanges > 0 ? "warning" : undefined}>
          {formatNumber(link.skippedChanges)}
        </Typography.Text>
      </span>
    </Space>
  );
}

const metadataParts: Record<string, string> = {
  indicators: "bộ chỉ số",
  areas: "đơn vị hành chính",
  merges: "sắp xếp đơn vị 2025",
  dimensions: "danh mục phân tổ",
};

/** Where the peer's metadata (catalogues, areas, merges, code lists) differs from this install's. */
function MetadataNote({ link }: { link: SyncLink }) {
  const m = link.metadata;
  if (!m || m.differentParts.length === 0) return null;
  const unknown = m.unknownIndicators;
  return (
    <Typography.Text type="warning" style={{ fontSize: 12 }} data-testid={`link-metadata-${link.id}`}>
      Danh mục khác với hệ thống kia: {m.differentParts.map((p) => metadataParts[p] ?? p).join(", ")}
      {unknown.length > 0 &&
        ` (${formatNumber(unknown.length)} chỉ số chưa có tại đây: ${unknown.slice(0, 5).join(", ")}${unknown.length > 5 ? ", …" : ""})`}
    </Typography.Text>
  );
}

function LastError({ link }: { link: SyncLink }) {
  if (!link.lastError)
    return (
      <Space orientation="vertical" size={0}>
        <Typography.Text type="secondary">Không có</Typography.Text>
        <MetadataNote link={link} />
      </Space>
    );
  return (
    <Space orientation="vertical" size={0} style={{ width: "100%" }}>
      <Typography.Paragraph
        type={link.failures > 0 ? "danger" : "secondary"}
        ellipsis={{ rows: 3, expandable: true, symbol: "xem thêm" }}
        style={{ marginBottom: 0, wordBreak: "break-word" }}
        data-testid={`link-error-${link.id}`}
      >
        {link.lastError}
      </Typography.Paragraph>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {formatDateTime(link.lastErrorAt)}
        {link.failures > 1 && ` · ${formatNumber(link.failures)} lần liên tiếp`}
        {link.failures === 0 && " · đã đồng bộ lại được"}
      </Typography.Text>
      <MetadataNote link={link} />
    </Space>
  );
}

function StatusTag({ link }: { link: SyncLink }) {
  const s = linkStatus(link);
  return (
    <Tooltip title={s.help}>
      <Tag color={s.color} data-testid={`link-status-${link.id}`} style={{ marginInlineEnd: 0 }}>
        {s.label}
      </Tag>
    </Tooltip>
  );
}

/**
 * "Giám sát liên thông": every link to another install (the data it brings, its last successful pull, lag,
 * changes written and refused, last error), refreshed every 10 seconds. Administrators add, pull and remove
 * links, and manage the webhooks this install sends.
 */
export default function SyncMonitor() {
  const { can } = useAuth();
  const admin = can("tokens.manage");
  const wide = Grid.useBreakpoint().md !== false;
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [adding, setAdding] = useState(false);
  const links = useQuery({
    queryKey: ["sync-links"],
    queryFn: () => apiGet<SyncLinks>("/api/sync/links"),
    refetchInterval: REFRESH_MS,
    staleTime: 0,
  });
  const names = useIndicatorNames(links.data?.items);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["sync-links"] });
  const pull = useMutation({
    mutationFn: (l: SyncLink) => apiSend<SyncLink>("POST", `/api/sync/links/${encodeURIComponent(l.id)}/pull`),
    onSuccess: (l) => {
      if (l.failures > 0) message.warning(`Chưa đồng bộ được "${l.name}": ${l.lastError ?? "lỗi không rõ"}`);
      else message.success(`Đã đồng bộ "${l.name}"`);
      void refresh();
    },
    onError: (e) => message.error(e.message),
  });
  const remove = useMutation({
    mutationFn: (l: SyncLink) => apiSend("DELETE", `/api/sync/links/${encodeURIComponent(l.id)}`),
    onSuccess: (_r, l) => {
      message.success(`Đã xóa kết nối "${l.name}"`);
      void refresh();
    },
    onError: (e) => message.error(e.message),
  });

  const actions = (l: SyncLink): ReactNode => (
    <Space wrap size={[8, 8]}>
      <Button
        size="small"
        icon={<SyncOutlined spin={pull.isPending && pull.variables?.id === l.id} />}
        disabled={!l.enabled || (pull.isPending && pull.variables?.id === l.id)}
        onClick={() => pull.mutate(l)}
      >
        Đồng bộ ngay
      </Button>
      <Popconfirm
        title={`Xóa kết nối "${l.name}"?`}
        description="Số liệu đã đồng bộ được giữ lại và không còn là bản sao chỉ đọc."
        okText="Xóa"
        okButtonProps={{ danger: true }}
        cancelText="Hủy"
        onConfirm={() => remove.mutate(l)}
      >
        <Button size="small" danger icon={<DeleteOutlined />}>
          Xóa kết nối
        </Button>
      </Popconfirm>
    </Space>
  );

  // Fits a laptop's width beside the menu without scrolling sideways: the data a link brings sits under its name.
  const columns: ColumnsType<SyncLink> = [
    {
      title: "Kết nối",
      key: "name",
      width: 250,
      fixed: "left",
      render: (_, l) => (
        <Space orientation="vertical" size={2}>
          <Typography.Text strong>{l.name}</Typography.Text>
          <Scope link={l} names={names} />
          <Typography.Text type="secondary" style={{ fontSize: 12, wordBreak: "break-all" }}>
            {l.peerUrl}
          </Typography.Text>
        </Space>
      ),
    },
    { title: "Trạng thái", key: "status", width: 118, render: (_, l) => <StatusTag link={l} /> },
    { title: "Đồng bộ thành công gần nhất", key: "success", width: 150, render: (_, l) => <LastSuccess link={l} /> },
    { title: "Độ trễ", key: "lag", width: 84, render: (_, l) => lagText(l) },
    { title: "Số thay đổi", key: "changes", width: 110, render: (_, l) => <Changes link={l} /> },
    { title: "Lỗi gần nhất", key: "error", render: (_, l) => <LastError link={l} /> },
    ...(admin ? [{ title: "Thao tác", key: "actions", width: 140, render: (_: unknown, l: SyncLink) => actions(l) }] : []),
  ];

  const items = links.data?.items ?? [];
  const count = (label: string) => items.filter((l) => linkStatus(l).label === label).length;
  const summary = [
    `${formatNumber(items.length)} kết nối`,
    ...(["Đang đồng bộ", "Chậm", "Lỗi", "Chờ đồng bộ", "Tạm dừng"] as const)
      .map((s) => [s, count(s)] as const)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${formatNumber(n)} ${s.toLowerCase()}`),
  ].join(" · ");

  return (
    <>
      <Space style={{ width: "100%", justifyContent: "space-between", alignItems: "flex-start" }} wrap>
        <Typography.Title level={3} style={{ marginBottom: 4 }}>
          Giám sát liên thông
        </Typography.Title>
        {admin && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)}>
            Thêm kết nối
          </Button>
        )}
      </Space>
      <QueryState isLoading={links.isLoading} error={links.error}>
        <Typography.Paragraph data-testid="install-name">
          Hệ thống này: <Typography.Text strong>{links.data?.install.name}</Typography.Text>
          <br />
          <Typography.Text type="secondary">
            {items.length ? `${summary}. Tự cập nhật mỗi 10 giây.` : "Chưa có kết nối nào với hệ thống khác."}
          </Typography.Text>
        </Typography.Paragraph>
        {wide ? (
          <Table
            rowKey="id"
            size="small"
            pagination={false}
            dataSource={items}
            columns={columns}
            scroll={{ x: admin ? 1100 : 960 }}
            locale={{ emptyText: "Chưa có kết nối nào" }}
            data-testid="sync-links"
          />
        ) : (
          <List
            dataSource={items}
            locale={{ emptyText: "Chưa có kết nối nào" }}
            data-testid="sync-links"
            renderItem={(l) => (
              <Card
                size="small"
                style={{ marginBottom: 12 }}
                data-testid={`link-card-${l.id}`}
                title={
                  <Space orientation="vertical" size={0} style={{ whiteSpace: "normal", padding: "6px 0" }}>
                    <Typography.Text strong>{l.name}</Typography.Text>
                    <Typography.Text type="secondary" style={{ fontSize: 12, fontWeight: "normal", wordBreak: "break-all" }}>
                      {l.peerUrl}
                    </Typography.Text>
                  </Space>
                }
                extra={<StatusTag link={l} />}
              >
                <Descriptions
                  size="small"
                  column={1}
                  colon={false}
                  styles={{ label: { width: 112 } }}
                  items={[
                    { key: "scope", label: "Dữ liệu nhận", children: <Scope link={l} names={names} /> },
                    { key: "success", label: "Thành công gần nhất", children: <LastSuccess link={l} /> },
                    { key: "lag", label: "Độ trễ", children: lagText(l) },
                    { key: "changes", label: "Số thay đổi", children: <Changes link={l} /> },
                    { key: "error", label: "Lỗi gần nhất", children: <LastError link={l} /> },
                  ]}
                />
                {admin && <div style={{ marginTop: 8 }}>{actions(l)}</div>}
              </Card>
            )}
          />
        )}
      </QueryState>
      {admin && <AddLink open={adding} onClose={() => setAdding(false)} onAdded={() => void refresh()} />}
      {admin && <Webhooks />}
    </>
  );
}
