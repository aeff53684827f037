import { useQuery } from "@tanstack/react-query";
import { formatDateTime, formatNumber } from "@dieuhanh/core";
import { Drawer, Grid, Table, Tag } from "antd";
import { apiGet, type Page } from "../../api/client";
import type { DataValue } from "../../api/types";
import { channelText } from "../../components/labels";
import { QueryState } from "../../components/QueryState";
import { statusLabels } from "./common";

const dateTime = (iso: string) => formatDateTime(iso, true);

/** Every version of one figure: the value, who recorded it, how, and when it was replaced. */
export function HistoryDrawer(props: { indicator: string; name: string; area: string; period: string; onClose: () => void }) {
  const wide = Grid.useBreakpoint().md !== false;
  const history = useQuery({
    queryKey: ["history", props.indicator, props.area, props.period],
    queryFn: () =>
      apiGet<Page<DataValue>>("/api/data-values/history", { indicator: props.indicator, area: props.area, period: props.period }),
  });
  return (
    <Drawer open width={wide ? 760 : "100%"} title={`Lịch sử: ${props.indicator} – ${props.name}`} onClose={props.onClose}>
      <QueryState isLoading={history.isLoading} error={history.error}>
        <Table<DataValue>
          rowKey="version"
          size="small"
          pagination={false}
          // On a phone who recorded it and when it was replaced give way: the channel (an origin) stays in view.
          scroll={{ x: wide ? 720 : 520 }}
          dataSource={history.data?.items}
          columns={[
            { title: "Phiên bản", dataIndex: "version", width: 80 },
            {
              title: "Giá trị",
              key: "v",
              align: "right",
              render: (_, v) => (v.value !== null ? formatNumber(v.value, 6) : v.valueText),
            },
            {
              title: "Trạng thái",
              dataIndex: "status",
              render: (s: DataValue["status"]) => <Tag color={statusLabels[s].color}>{statusLabels[s].text}</Tag>,
            },
            {
              title: "Kênh",
              key: "source",
              render: (_, v) =>
                v.origin ? (
                  <Tag color="cyan" data-testid={`origin-${v.version}`} style={{ whiteSpace: "normal" }}>
                    {channelText(v)}
                  </Tag>
                ) : (
                  channelText(v)
                ),
            },
            { title: "Người ghi", dataIndex: "recordedBy", responsive: ["md"] },
            { title: "Lúc", dataIndex: "recordedAt", render: dateTime },
            { title: "Ghi chú / lý do", key: "c", render: (_, v) => [v.comment, v.reviewComment].filter(Boolean).join(" · ") },
            {
              title: "Thay thế lúc",
              dataIndex: "supersededAt",
              responsive: ["md"],
              render: (s: string | null) => (s ? dateTime(s) : "hiện hành"),
            },
          ]}
        />
      </QueryState>
    </Drawer>
  );
}
