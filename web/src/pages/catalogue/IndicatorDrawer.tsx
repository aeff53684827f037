import { useQuery } from "@tanstack/react-query";
import { Descriptions, Drawer, List, Tag, Typography } from "antd";
import { formatDate } from "@dieuhanh/core";
import { apiGet } from "../../api/client";
import type { IndicatorDetail, IndicatorRef } from "../../api/types";
import { AgencyTags } from "../../components/AgencyTags";
import { QueryState } from "../../components/QueryState";
import { comparisonLabels, periodTypeLabels, rowKindLabels } from "../../components/labels";

function RefLink({ item, onOpen }: { item: IndicatorRef; onOpen: (code: string) => void }) {
  return (
    <a onClick={() => onOpen(item.code)}>
      <Typography.Text code>{item.code}</Typography.Text> {item.name}
    </a>
  );
}

/** An indicator's full record, with its source reference ("as written" next to the corrected text). */
export function IndicatorDrawer({
  code,
  onClose,
  onOpen,
}: {
  code?: string;
  onClose: () => void;
  onOpen: (code: string) => void;
}) {
  const detail = useQuery({
    queryKey: ["indicator", code],
    queryFn: () => apiGet<IndicatorDetail>(`/api/indicators/${encodeURIComponent(code!)}`),
    enabled: !!code,
  });
  const d = detail.data;
  return (
    <Drawer
      open={!!code}
      onClose={onClose}
      width={Math.min(760, window.innerWidth)}
      title={d ? `${d.code} — ${d.name}` : "Chỉ số"}
    >
      <QueryState isLoading={detail.isLoading} error={detail.error}>
        {d && (
          <>
            <Descriptions column={1} bordered size="small" data-testid="indicator-detail">
              <Descriptions.Item label="Tên chỉ số">{d.name}</Descriptions.Item>
              <Descriptions.Item label="Nguyên văn">
                <span className="as-written">{d.nameAsWritten}</span>
              </Descriptions.Item>
              <Descriptions.Item label="Loại dòng">{rowKindLabels[d.kind]}</Descriptions.Item>
              <Descriptions.Item label="Nhóm">
                {d.group}
                {d.subgroup ? `.${d.subgroup}` : ""}
              </Descriptions.Item>
              <Descriptions.Item label="Đơn vị tính">
                {d.unit ?? "—"} {d.unitInferred && d.unit && <Tag color="gold">đề xuất</Tag>}
                {d.unitAsWritten && d.unitAsWritten !== d.unit && (
                  <span className="as-written"> (văn bản ghi: {d.unitAsWritten})</span>
                )}
              </Descriptions.Item>
              <Descriptions.Item label="Phạm vi">{d.scopeAsWritten ?? "—"}</Descriptions.Item>
              <Descriptions.Item label="Thời gian (tần suất)">
                {d.frequencyAsWritten ?? "—"}{" "}
                {d.periodTypes.map((p) => (
                  <Tag key={p}>{periodTypeLabels[p as keyof typeof periodTypeLabels] ?? p}</Tag>
                ))}
              </Descriptions.Item>
              <Descriptions.Item label="Phân tổ">{d.disaggregationAsWritten ?? "—"}</Descriptions.Item>
              {d.comparisons.length > 0 && (
                <Descriptions.Item label="So sánh">
                  {d.comparisons.map((c) => (
                    <Tag key={c}>{comparisonLabels[c] ?? c}</Tag>
                  ))}
                </Descriptions.Item>
              )}
              <Descriptions.Item label="Cơ quan thực hiện">
                <AgencyTags agencies={d.agencies} />
              </Descriptions.Item>
              {d.sharingAgencies.length > 0 && (
                <Descriptions.Item label="Cơ quan chia sẻ dữ liệu">
                  <AgencyTags agencies={d.sharingAgencies} />
                </Descriptions.Item>
              )}
              {d.collectionMethodAsWritten && (
                <Descriptions.Item label="Phương pháp thu thập">{d.collectionMethodAsWritten}</Descriptions.Item>
              )}
              <Descriptions.Item label="Nguồn">
                <span data-testid="indicator-source">
                  {d.source.appendix}, {d.source.documentNumber ?? "Kế hoạch (chưa ghi số)"}
                  {d.source.documentDate ? ` ngày ${formatDate(d.source.documentDate)}` : ""} của {d.source.documentIssuer}; dòng{" "}
                  {d.source.rowLabel ?? d.stt} (tệp {d.source.sourceFile}, dòng {d.source.line})
                </span>
              </Descriptions.Item>
              {d.note && (
                <Descriptions.Item label="Ghi chú biên tập">
                  <Typography.Text type="secondary">{d.note}</Typography.Text>
                </Descriptions.Item>
              )}
            </Descriptions>
            {d.parent && (
              <>
                <Typography.Title level={5}>Thuộc chỉ số</Typography.Title>
                <RefLink item={d.parent} onOpen={onOpen} />
              </>
            )}
            {d.children.length > 0 && (
              <List
                size="small"
                header={<b>Chỉ số con</b>}
                dataSource={d.children}
                renderItem={(c) => (
                  <List.Item>
                    <RefLink item={c} onOpen={onOpen} />
                  </List.Item>
                )}
              />
            )}
            {d.nationalIndicator && (
              <>
                <Typography.Title level={5}>Chỉ số quốc gia tương ứng</Typography.Title>
                <RefLink item={d.nationalIndicator} onOpen={onOpen} />
              </>
            )}
            {d.implementedBy.length > 0 && (
              <List
                size="small"
                header={<b>Địa phương triển khai</b>}
                dataSource={d.implementedBy}
                renderItem={(c) => (
                  <List.Item>
                    <RefLink item={c} onOpen={onOpen} />
                  </List.Item>
                )}
              />
            )}
          </>
        )}
      </QueryState>
    </Drawer>
  );
}
