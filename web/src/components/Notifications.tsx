import { BellOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Badge, Button, List, Popover, Typography } from "antd";
import { useNavigate } from "react-router-dom";
import { apiGet, apiSend, type Page } from "../api/client";
import type { AppNotification } from "../api/types";

/** The bell: reminders (đôn đốc) for the user's agencies, newest first; opening one marks it read. */
export function Notifications() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const list = useQuery({
    queryKey: ["notifications"],
    queryFn: () => apiGet<Page<AppNotification> & { unread: number }>("/api/notifications", { limit: 20 }),
    refetchInterval: 300_000,
  });
  const read = useMutation({
    mutationFn: (n: AppNotification) => apiSend("POST", `/api/notifications/${n.id}/read`, {}),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["notifications"] }),
  });
  const items = list.data?.items ?? [];
  return (
    <Popover
      trigger="click"
      placement="bottomRight"
      title="Đôn đốc nhiệm vụ"
      content={
        <List
          style={{ width: 380, maxHeight: 420, overflow: "auto" }}
          size="small"
          locale={{ emptyText: "Không có thông báo" }}
          dataSource={items}
          renderItem={(n) => (
            <List.Item
              style={{ cursor: "pointer", opacity: n.read ? 0.6 : 1 }}
              onClick={() => {
                if (!n.read) read.mutate(n);
                if (n.taskCode) navigate(`/nhiem-vu/${n.taskCode}`);
              }}
            >
              <Typography.Text strong={!n.read} type={n.kind === "overdue" ? "danger" : undefined}>
                {n.message}
              </Typography.Text>
            </List.Item>
          )}
        />
      }
    >
      <Badge count={list.data?.unread ?? 0} size="small">
        <Button type="text" icon={<BellOutlined />} aria-label="Thông báo" data-testid="notifications" />
      </Badge>
    </Popover>
  );
}
