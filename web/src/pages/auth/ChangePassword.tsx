import { useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Card, Form, Input, Typography } from "antd";
import { useState } from "react";
import { apiSend } from "../../api/client";
import type { BodyOf } from "../../api/types";

/** Password change; `forced` after a one-time password. */
export function ChangePassword({ forced = false }: { forced?: boolean }) {
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const [error, setError] = useState<string>();
  const submit = async (values: { currentPassword: string; newPassword: string }) => {
    setError(undefined);
    try {
      await apiSend("POST", "/api/me/password", {
        currentPassword: values.currentPassword,
        newPassword: values.newPassword,
      } satisfies BodyOf<"/api/me/password", "post">);
      message.success("Đã đổi mật khẩu");
      await queryClient.invalidateQueries({ queryKey: ["me"] });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <div
      style={forced ? { minHeight: "100vh", display: "flex", alignItems: "center", justifyContent: "center", padding: 16 } : {}}
    >
      <Card style={{ width: 420, maxWidth: "100%" }}>
        <Typography.Title level={4} style={{ marginTop: 0 }}>
          Đổi mật khẩu
        </Typography.Title>
        {forced && (
          <Alert
            type="warning"
            showIcon
            message="Bạn đang dùng mật khẩu dùng một lần. Hãy đặt mật khẩu mới."
            style={{ marginBottom: 16 }}
          />
        )}
        {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} />}
        <Form layout="vertical" onFinish={submit} requiredMark={false}>
          <Form.Item
            label="Mật khẩu hiện tại"
            name="currentPassword"
            rules={[{ required: true, message: "Nhập mật khẩu hiện tại" }]}
          >
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          <Form.Item
            label="Mật khẩu mới"
            name="newPassword"
            rules={[{ required: true, min: 10, message: "Ít nhất 10 ký tự, có cả chữ và số" }]}
          >
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Form.Item
            label="Nhập lại mật khẩu mới"
            name="confirm"
            dependencies={["newPassword"]}
            rules={[
              { required: true, message: "Nhập lại mật khẩu mới" },
              ({ getFieldValue }) => ({
                validator: (_, v) =>
                  v === getFieldValue("newPassword") ? Promise.resolve() : Promise.reject(new Error("Hai mật khẩu không khớp")),
              }),
            ]}
          >
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block>
            Đổi mật khẩu
          </Button>
        </Form>
      </Card>
    </div>
  );
}
