import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { formatDate } from "@dieuhanh/core";
import { App, Button, Checkbox, Form, Input, Modal, Popconfirm, Space, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { apiGet, apiSend, type Page } from "../../api/client";
import type { ApiToken, BodyOf, JsonOf } from "../../api/types";
import { OneTimeSecret } from "../../components/OneTimeSecret";
import { QueryState } from "../../components/QueryState";

/** API tokens for systems that push or pull data (LGSP, a ministry's system): shown once, revocable. */
export default function Tokens() {
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string>();
  const tokens = useQuery({ queryKey: ["tokens"], queryFn: () => apiGet<Page<ApiToken>>("/api/tokens") });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["tokens"] });
  const create = useMutation({
    mutationFn: (v: { name: string; agencyCode?: string; areaId?: string; canWrite?: boolean }) =>
      apiSend<JsonOf<"/api/tokens", "post">>("POST", "/api/tokens", {
        name: v.name,
        agencyCode: v.agencyCode || null,
        areaId: v.areaId || null,
        canWrite: !!v.canWrite,
      } satisfies BodyOf<"/api/tokens", "post">),
    onSuccess: (r) => {
      setCreating(false);
      setSecret(r.secret);
      void refresh();
    },
    onError: (e) => message.error(e.message),
  });
  const revoke = useMutation({
    mutationFn: (t: ApiToken) => apiSend("DELETE", `/api/tokens/${t.id}`),
    onSuccess: () => void refresh(),
    onError: (e) => message.error(e.message),
  });
  return (
    <>
      <Space style={{ width: "100%", justifyContent: "space-between" }}>
        <Typography.Title level={3}>Khóa API</Typography.Title>
        <Button type="primary" onClick={() => setCreating(true)}>
          Tạo khóa
        </Button>
      </Space>
      {secret && <OneTimeSecret title="Khóa API mới — chỉ hiện lần này" secret={secret} onClose={() => setSecret(undefined)} />}
      <QueryState isLoading={tokens.isLoading} error={tokens.error}>
        <Table
          rowKey="id"
          size="small"
          pagination={false}
          dataSource={tokens.data?.items}
          scroll={{ x: 900 }}
          columns={[
            { title: "Tên", dataIndex: "name" },
            { title: "Mã nhận biết", dataIndex: "prefix", render: (p: string) => <Typography.Text code>{p}…</Typography.Text> },
            { title: "Cơ quan", dataIndex: "agencyCode", render: (v: string | null) => v ?? "mọi cơ quan" },
            { title: "Địa bàn", dataIndex: "areaId", render: (v: string | null) => v ?? "cả nước" },
            { title: "Quyền", dataIndex: "canWrite", render: (w: boolean) => (w ? "Đọc, ghi" : "Chỉ đọc") },
            { title: "Dùng lần cuối", dataIndex: "lastUsedAt", render: (v: string | null) => (v ? formatDate(v) : "—") },
            {
              title: "Trạng thái",
              key: "status",
              render: (_, t) =>
                t.revokedAt ? (
                  <Tag color="red">Đã thu hồi</Tag>
                ) : (
                  <Popconfirm
                    title="Thu hồi khóa? Hệ thống dùng khóa sẽ không truy cập được nữa."
                    onConfirm={() => revoke.mutate(t)}
                  >
                    <Button size="small" danger>
                      Thu hồi
                    </Button>
                  </Popconfirm>
                ),
            },
          ]}
        />
      </QueryState>
      <Modal title="Tạo khóa API" open={creating} onCancel={() => setCreating(false)} footer={null} destroyOnHidden>
        <Form layout="vertical" onFinish={(v) => create.mutate(v)}>
          <Form.Item label="Tên hệ thống" name="name" rules={[{ required: true, message: "Nhập tên" }]}>
            <Input placeholder="ví dụ: LGSP thành phố Cần Thơ" />
          </Form.Item>
          <Form.Item label="Mã cơ quan được phép (để trống: mọi cơ quan)" name="agencyCode">
            <Input />
          </Form.Item>
          <Form.Item label="Mã địa bàn được phép (để trống: cả nước)" name="areaId">
            <Input />
          </Form.Item>
          <Form.Item name="canWrite" valuePropName="checked">
            <Checkbox>Cho phép ghi số liệu</Checkbox>
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={create.isPending}>
            Tạo
          </Button>
        </Form>
      </Modal>
    </>
  );
}
