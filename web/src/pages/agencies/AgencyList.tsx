import { useQuery } from "@tanstack/react-query";
import { Input, Select, Space, Table, Tag, Typography } from "antd";
import { formatDate } from "@dieuhanh/core";
import { useState } from "react";
import { apiGet, type Page } from "../../api/client";
import type { Agency } from "../../api/types";
import { QueryState } from "../../components/QueryState";
import { agencyLevelLabels } from "../../components/labels";

export default function AgencyList() {
  const [q, setQ] = useState("");
  const [level, setLevel] = useState<string>();
  const agencies = useQuery({
    queryKey: ["agencies", q, level],
    queryFn: () =>
      apiGet<Page<Agency>>("/api/agencies", {
        q: q || undefined,
        level,
        limit: 5000,
      }),
  });
  return (
    <>
      <Typography.Title level={3}>Cơ quan</Typography.Title>
      <Typography.Paragraph type="secondary">
        Các cơ quan được nêu trong văn bản, giữ nguyên tên gọi tại thời điểm ban hành và chỉ rõ cơ quan kế thừa sau sắp xếp bộ máy
        năm 2025.
      </Typography.Paragraph>
      <Space wrap style={{ marginBottom: 12 }}>
        <Input.Search allowClear placeholder="Tìm cơ quan (không cần dấu)" onSearch={setQ} style={{ width: 280 }} />
        <Select
          allowClear
          placeholder="Cấp"
          style={{ width: 160 }}
          value={level}
          onChange={setLevel}
          options={Object.entries(agencyLevelLabels).map(([value, label]) => ({
            value,
            label,
          }))}
        />
      </Space>
      <QueryState isLoading={false} error={agencies.error}>
        <Table
          rowKey="code"
          size="small"
          loading={agencies.isLoading}
          dataSource={agencies.data?.items}
          pagination={{
            pageSize: 50,
            showSizeChanger: false,
            showTotal: (t) => `${t} cơ quan`,
          }}
          scroll={{ x: 900 }}
          columns={[
            { title: "Mã", dataIndex: "code", width: 120 },
            { title: "Tên", dataIndex: "name" },
            {
              title: "Cấp",
              dataIndex: "level",
              width: 120,
              render: (l: string) => agencyLevelLabels[l] ?? l,
            },
            {
              title: "Tình trạng",
              key: "status",
              width: 300,
              render: (_, a) =>
                a.dissolvedOn ? (
                  <span>
                    <Tag color="orange">Chấm dứt {formatDate(a.dissolvedOn)}</Tag> → {a.current.name}
                  </span>
                ) : (
                  <Tag color="green">Đang hoạt động</Tag>
                ),
            },
            {
              title: "Tên trong văn bản",
              dataIndex: "aliases",
              render: (aliases: string[]) => aliases.join("; "),
            },
          ]}
        />
      </QueryState>
    </>
  );
}
