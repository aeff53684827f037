import { BellOutlined, MailOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { formatDay, formatTime } from "@dieuhanh/core";
import { App, Badge, Button, Input, List, Popover, Space, Typography } from "antd";
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { apiGet, apiSend } from "../api/client";
import type { AppNotification, BodyOf, JsonOf } from "../api/types";
import { useAuth } from "./auth";

const dangerKinds = new Set(["overdue", "report_returned", "progress_returned", "sync_late"]);

/** The e-mail address notifications are also sent to; the person sets it here. */
function EmailSetting() {
  const { me } = useAuth();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const current = me.user?.email ?? null;
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState(current ?? "");
  const save = useMutation({
    mutationFn: (email: string | null) =>
      apiSend<JsonOf<"/api/me/email", "put">>("PUT", "/api/me/email", { email } satisfies BodyOf<"/api/me/email", "put">),
    onSuccess: (r) => {
      message.success(r.email ? `Thông báo sẽ được gửi cả đến ${r.email}` : "Chỉ nhận thông báo trong ứng dụng");
      setEditing(false);
      void queryClient.invalidateQueries({ queryKey: ["me"] });
    },
    onError: (e) => message.error(e.message),
  });
  if (!me.user) return null;
  if (!editing)
    return (
      <Space size={4} style={{ fontSize: 12 }}>
        <MailOutlined />
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {current ? `Gửi cả qua thư: ${current}` : "Chưa nhận qua thư điện tử"}
        </Typography.Text>
        <Button
          type="link"
          size="small"
          onClick={() => {
            setValue(current ?? "");
            setEditing(true);
          }}
        >
          {current ? "Sửa" : "Thêm địa chỉ"}
        </Button>
      </Space>
    );
  return (
    <Space.Compact style={{ width: "100%" }}>
      <Input
        size="small"
        type="email"
        aria-label="Thư điện tử nhận thông báo"
        placeholder="ten@coquan.gov.vn"
        value={value}
        onChange={(e) => setValue(e.target.value)}
      />
      <Button size="small" type="primary" loading={save.isPending} onClick={() => save.mutate(value.trim() || null)}>
        Lưu
      </Button>
      <Button size="small" onClick={() => setEditing(false)}>
        Hủy
      </Button>
    </Space.Compact>
  );
}

/**
 * The bell: the person's own notifications (reminders, tasks assigned, figures awaiting approval, returned
 * figures, reports awaiting review), newest first; opening one marks it read and goes where to act.
 */
export function Notifications() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const list = useQuery({
    queryKey: ["notifications"],
    queryFn: () => apiGet<JsonOf<"/api/notifications", "get">>("/api/notifications", { limit: 30 }),
    refetchInterval: 120_000,
  });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ["notifications"] });
  const read = useMutation({
    mutationFn: (n: AppNotification) => apiSend("POST", `/api/notifications/${n.id}/read`, {}),
    onSuccess: refresh,
  });
  const readAll = useMutation({
    mutationFn: () => apiSend<JsonOf<"/api/notifications/read-all", "post">>("POST", "/api/notifications/read-all", {}),
    onSuccess: refresh,
  });
  const items = list.data?.items ?? [];
  const unread = list.data?.unread ?? 0;
  return (
    <Popover
      trigger="click"
      placement="bottomRight"
      open={open}
      onOpenChange={setOpen}
      title={
        <Space style={{ width: "100%", justifyContent: "space-between" }}>
          <span>Thông báo{unread ? ` (${unread} chưa đọc)` : ""}</span>
          <Button size="small" type="link" disabled={unread === 0} loading={readAll.isPending} onClick={() => readAll.mutate()}>
            Đánh dấu tất cả đã đọc
          </Button>
        </Space>
      }
      content={
        <div style={{ width: 400 }}>
          <List
            style={{ maxHeight: 420, overflow: "auto" }}
            size="small"
            locale={{ emptyText: "Không có thông báo" }}
            dataSource={items}
            data-testid="notification-list"
            renderItem={(n) => (
              <List.Item
                style={{ cursor: "pointer", opacity: n.read ? 0.6 : 1 }}
                data-read={n.read ? "true" : "false"}
                onClick={() => {
                  if (!n.read) read.mutate(n);
                  const to = n.link ?? (n.taskCode ? `/nhiem-vu/${n.taskCode}` : null);
                  if (to) {
                    setOpen(false);
                    navigate(to);
                  }
                }}
              >
                <Space direction="vertical" size={0}>
                  <Typography.Text strong={!n.read} type={dangerKinds.has(n.kind) ? "danger" : undefined}>
                    {n.message}
                  </Typography.Text>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {formatDay(new Date(n.createdAt))} {formatTime(new Date(n.createdAt))}
                  </Typography.Text>
                </Space>
              </List.Item>
            )}
          />
          <div style={{ borderTop: "1px solid #f0f0f0", paddingTop: 8, marginTop: 4 }}>
            <EmailSetting />
          </div>
        </div>
      }
    >
      <Badge count={unread} size="small">
        <Button type="text" icon={<BellOutlined />} aria-label="Thông báo" data-testid="notifications" />
      </Badge>
    </Popover>
  );
}
