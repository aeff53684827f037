import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { formatDateTime, formatNumber } from "@dieuhanh/core";
import { App, Button, Card, Form, Grid, Input, Popconfirm, Space, Table, Typography } from "antd";
import { useState } from "react";
import { apiGet, apiSend, type Page } from "../../api/client";
import type { NewWebhook, WebhookSubscription } from "../../api/types";
import { OneTimeSecret } from "../../components/OneTimeSecret";
import { QueryState } from "../../components/QueryState";
import { isWebAddress } from "./address";

/** Outgoing webhooks: other installs woken as soon as this one has new changes (the signing secret shown once). */
export function Webhooks() {
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ url: string }>();
  const [created, setCreated] = useState<NewWebhook>();
  const wide = Grid.useBreakpoint().md !== false;
  const hooks = useQuery({
    queryKey: ["sync-webhooks"],
    queryFn: () => apiGet<Page<WebhookSubscription>>("/api/sync/webhooks"),
    refetchInterval: 10_000,
    staleTime: 0,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["sync-webhooks"] });
  const add = useMutation({
    mutationFn: (url: string) => apiSend<NewWebhook>("POST", "/api/sync/webhooks", { url }),
    onSuccess: (w) => {
      setCreated(w);
      form.resetFields();
      void refresh();
    },
    onError: (e) => form.setFields([{ name: "url", errors: [e.message] }]),
  });
  const revoke = useMutation({
    mutationFn: (w: WebhookSubscription) => apiSend("DELETE", `/api/sync/webhooks/${w.id}`),
    onSuccess: () => {
      message.success("Đã thu hồi webhook");
      void refresh();
    },
    onError: (e) => message.error(e.message),
  });
  return (
    <Card title="Webhook gửi đi" size="small" style={{ marginTop: 24 }} data-testid="webhooks">
      <Typography.Paragraph type="secondary">
        Hệ thống khác được báo ngay khi tại đây có thay đổi mới (chuẩn Standard Webhooks), thay vì chờ lần hỏi định kỳ. Địa chỉ
        nhận thường có dạng <Typography.Text code>https://…/api/sync/links/&lt;mã kết nối&gt;/webhook</Typography.Text> của kết
        nối tại hệ thống kia.
      </Typography.Paragraph>
      {created && (
        <OneTimeSecret
          title={`Khóa ký của webhook ${created.url} — chỉ hiện lần này`}
          secret={created.secret}
          note="nhập khóa này vào kết nối tại hệ thống kia (ô Khóa ký webhook)"
          onClose={() => setCreated(undefined)}
        />
      )}
      <Form
        form={form}
        layout={wide ? "inline" : "vertical"}
        colon={false}
        style={{ marginBottom: 16, rowGap: 8 }}
        onFinish={(v) => add.mutate(v.url.trim())}
      >
        <Form.Item
          name="url"
          label="Địa chỉ nhận"
          style={wide ? { flex: "1 1 280px" } : undefined}
          rules={[
            { required: true, whitespace: true, message: "Nhập địa chỉ nhận webhook" },
            {
              validator: async (_, v?: string) => {
                if (v && !isWebAddress(v.trim())) throw new Error("Địa chỉ không hợp lệ: nhập đầy đủ, bắt đầu bằng https://");
              },
            },
          ]}
        >
          <Input placeholder="https://dieuhanh.cantho.gov.vn/api/sync/links/quoc-gia/webhook" inputMode="url" />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={add.isPending}>
          Thêm webhook
        </Button>
      </Form>
      <QueryState isLoading={hooks.isLoading} error={hooks.error}>
        <Table
          rowKey="id"
          size="small"
          pagination={false}
          dataSource={hooks.data?.items}
          scroll={{ x: 760 }}
          locale={{ emptyText: "Chưa có webhook nào" }}
          columns={[
            {
              title: "Địa chỉ nhận",
              dataIndex: "url",
              render: (u: string) => <span style={{ wordBreak: "break-all" }}>{u}</span>,
            },
            { title: "Tạo lúc", dataIndex: "createdAt", width: 150, render: (v: string) => formatDateTime(v) },
            {
              title: "Chưa gửi được",
              dataIndex: "pending",
              width: 120,
              render: (n: number) => <Typography.Text type={n > 0 ? "warning" : undefined}>{formatNumber(n)}</Typography.Text>,
            },
            {
              title: "Lỗi gần nhất",
              dataIndex: "lastError",
              render: (e: string | null) =>
                e ? (
                  <Typography.Text type="danger" style={{ wordBreak: "break-word" }}>
                    {e}
                  </Typography.Text>
                ) : (
                  <Typography.Text type="secondary">Không có</Typography.Text>
                ),
            },
            {
              title: "",
              key: "revoke",
              width: 100,
              render: (_, w) => (
                <Space>
                  <Popconfirm
                    title="Thu hồi webhook?"
                    description="Hệ thống kia sẽ không được báo khi có thay đổi nữa (vẫn tự hỏi định kỳ)."
                    okText="Thu hồi"
                    okButtonProps={{ danger: true }}
                    cancelText="Hủy"
                    onConfirm={() => revoke.mutate(w)}
                  >
                    <Button size="small" danger>
                      Thu hồi
                    </Button>
                  </Popconfirm>
                </Space>
              ),
            },
          ]}
        />
      </QueryState>
    </Card>
  );
}
