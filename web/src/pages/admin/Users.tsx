import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { roleLabels, roles } from "@dieuhanh/core";
import { App, Button, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { apiGet, apiSend, type Page } from "../../api/client";
import type { Agency, BodyOf, JsonOf, User } from "../../api/types";
import { AreaSearch } from "../../components/AreaSearch";
import { OneTimeSecret } from "../../components/OneTimeSecret";
import { QueryState } from "../../components/QueryState";
import { scopeText, useAgencyNames, useAreaNames } from "../../components/scope";

interface NewUserForm {
  username: string;
  displayName: string;
  role: User["role"];
  scopeAgencies?: string[];
  scopeAreaId?: string;
  email?: string;
}

/** Account administration: create, disable/enable, reset passwords. One-time passwords are shown once. */
export default function Users() {
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ username: string; password: string }>();
  const [mailOf, setMailOf] = useState<User | null>(null);
  const [mail, setMail] = useState("");
  const users = useQuery({ queryKey: ["users"], queryFn: () => apiGet<Page<User>>("/api/users") });
  const agencies = useQuery({
    queryKey: ["agencies", "active"],
    queryFn: () => apiGet<Page<Agency>>("/api/agencies", { includeDissolved: "false", limit: 5000 }),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["users"] });
  const agencyNames = useAgencyNames();
  const areaNames = useAreaNames((users.data?.items ?? []).map((u) => u.scope.areaId));

  const create = useMutation({
    mutationFn: (v: NewUserForm) =>
      apiSend<JsonOf<"/api/users", "post">>("POST", "/api/users", {
        ...v,
        scopeAgencies: v.scopeAgencies?.length ? v.scopeAgencies : null,
        scopeAreaId: v.scopeAreaId || null,
        email: v.email?.trim() || null,
      } satisfies BodyOf<"/api/users", "post">),
    onSuccess: (r) => {
      setCreating(false);
      if (r.oneTimePassword) setSecret({ username: r.user.username, password: r.oneTimePassword });
      void refresh();
    },
    onError: (e) => message.error(e.message),
  });
  const toggle = useMutation({
    mutationFn: (u: User) =>
      apiSend("PATCH", `/api/users/${u.id}`, { disabled: !u.disabled } satisfies BodyOf<"/api/users/{id}", "patch">),
    onSuccess: () => void refresh(),
    onError: (e) => message.error(e.message),
  });
  const setEmail = useMutation({
    mutationFn: ({ u, email }: { u: User; email: string | null }) =>
      apiSend("PATCH", `/api/users/${u.id}`, { email } satisfies BodyOf<"/api/users/{id}", "patch">),
    onSuccess: () => {
      setMailOf(null);
      void refresh();
    },
    onError: (e) => message.error(e.message),
  });
  const reset = useMutation({
    mutationFn: (u: User) =>
      apiSend<JsonOf<"/api/users/{id}/reset-password", "post">>("POST", `/api/users/${u.id}/reset-password`, {}).then((r) => ({
        u,
        r,
      })),
    onSuccess: ({ u, r }) => setSecret({ username: u.username, password: r.oneTimePassword }),
    onError: (e) => message.error(e.message),
  });

  return (
    <>
      <Space style={{ width: "100%", justifyContent: "space-between" }}>
        <Typography.Title level={3}>Người dùng</Typography.Title>
        <Button type="primary" onClick={() => setCreating(true)}>
          Thêm người dùng
        </Button>
      </Space>
      {secret && (
        <OneTimeSecret
          title={`Mật khẩu dùng một lần của ${secret.username}`}
          secret={secret.password}
          note="chỉ hiện lần này; người dùng phải đổi mật khẩu khi đăng nhập."
          onClose={() => setSecret(undefined)}
        />
      )}
      <QueryState isLoading={users.isLoading} error={users.error}>
        <Table
          rowKey="id"
          size="small"
          dataSource={users.data?.items}
          pagination={false}
          scroll={{ x: 900 }}
          columns={[
            { title: "Tên đăng nhập", dataIndex: "username" },
            { title: "Họ tên", dataIndex: "displayName" },
            { title: "Vai trò", dataIndex: "role", render: (r: User["role"]) => roleLabels[r] },
            {
              title: "Thư điện tử (nhận thông báo)",
              key: "email",
              render: (_, u) => (
                <Space size={4}>
                  {u.email ?? <Typography.Text type="secondary">chưa có</Typography.Text>}
                  <Button
                    size="small"
                    type="link"
                    aria-label={`Sửa thư điện tử của ${u.username}`}
                    onClick={() => {
                      setMail(u.email ?? "");
                      setMailOf(u);
                    }}
                  >
                    Sửa
                  </Button>
                </Space>
              ),
            },
            {
              title: "Phạm vi",
              key: "scope",
              render: (_, u) => scopeText(u.scope, agencyNames, areaNames),
            },
            {
              title: "Trạng thái",
              key: "status",
              render: (_, u) => (u.disabled ? <Tag color="red">Đã khóa</Tag> : <Tag color="green">Hoạt động</Tag>),
            },
            {
              title: "",
              key: "actions",
              render: (_, u) => (
                <Space>
                  <Popconfirm
                    title={u.disabled ? "Mở khóa tài khoản?" : "Khóa tài khoản và đăng xuất mọi phiên?"}
                    onConfirm={() => toggle.mutate(u)}
                  >
                    <Button size="small">{u.disabled ? "Mở khóa" : "Khóa"}</Button>
                  </Popconfirm>
                  <Popconfirm title="Đặt lại mật khẩu?" onConfirm={() => reset.mutate(u)}>
                    <Button size="small">Đặt lại mật khẩu</Button>
                  </Popconfirm>
                </Space>
              ),
            },
          ]}
        />
      </QueryState>
      <Modal
        title={`Thư điện tử nhận thông báo của ${mailOf?.username ?? ""}`}
        open={mailOf !== null}
        okText="Lưu"
        cancelText="Hủy"
        confirmLoading={setEmail.isPending}
        onCancel={() => setMailOf(null)}
        onOk={() => mailOf && setEmail.mutate({ u: mailOf, email: mail.trim() || null })}
      >
        <Input
          type="email"
          aria-label="Thư điện tử"
          value={mail}
          onChange={(e) => setMail(e.target.value)}
          placeholder="ten@coquan.gov.vn"
        />
      </Modal>
      <Modal title="Thêm người dùng" open={creating} onCancel={() => setCreating(false)} footer={null} destroyOnHidden>
        <Form<NewUserForm> layout="vertical" onFinish={(v) => create.mutate(v)} initialValues={{ role: "viewer" }}>
          <Form.Item
            label="Tên đăng nhập"
            name="username"
            rules={[{ required: true, pattern: /^[A-Za-z0-9._-]{3,64}$/, message: "3–64 ký tự không dấu" }]}
          >
            <Input />
          </Form.Item>
          <Form.Item
            label="Thư điện tử (nhận thông báo)"
            name="email"
            rules={[{ type: "email", message: "Thư điện tử không hợp lệ" }]}
          >
            <Input type="email" />
          </Form.Item>
          <Form.Item label="Họ tên" name="displayName" rules={[{ required: true, message: "Nhập họ tên" }]}>
            <Input />
          </Form.Item>
          <Form.Item label="Vai trò" name="role" rules={[{ required: true }]}>
            <Select options={roles.map((r) => ({ value: r, label: roleLabels[r] }))} />
          </Form.Item>
          <Form.Item label="Cơ quan trong phạm vi (để trống: mọi cơ quan)" name="scopeAgencies">
            <Select
              mode="multiple"
              showSearch
              optionFilterProp="label"
              options={agencies.data?.items.map((a) => ({ value: a.code, label: a.name }))}
            />
          </Form.Item>
          <Form.Item label="Địa bàn (tỉnh hoặc xã; để trống: cả nước)" name="scopeAreaId">
            <AreaSearch />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={create.isPending} block>
            Tạo
          </Button>
        </Form>
      </Modal>
    </>
  );
}
