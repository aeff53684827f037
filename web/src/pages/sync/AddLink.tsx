import { useMutation } from "@tanstack/react-query";
import { foldVietnamese } from "@dieuhanh/core";
import { App, Button, Form, Input, Modal, Select } from "antd";
import { useRef } from "react";
import { ApiError, apiSend } from "../../api/client";
import type { NewSyncLink, SyncLink } from "../../api/types";
import { AreaSearch } from "../../components/AreaSearch";
import { isWebAddress } from "./address";

interface LinkForm {
  name: string;
  id: string;
  peerUrl: string;
  token: string;
  areaId?: string;
  indicators?: string[];
  webhookSecret?: string;
}

/** "Cần Thơ (quốc gia)" → "can-tho-quoc-gia": a link's code suggested from its name. */
const codeFromName = (name: string) =>
  foldVietnamese(name)
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");

const LINK_CODE = /^[a-z0-9][a-z0-9-]{0,39}$/;
const WEBHOOK_SECRET = /^whsec_[A-Za-z0-9+/=]{16,200}$/;

/** The form adding a link: this install pulls the other one's change feed with a token it issued. */
export function AddLink({ open, onClose, onAdded }: { open: boolean; onClose: () => void; onAdded: (l: SyncLink) => void }) {
  const [form] = Form.useForm<LinkForm>();
  const { message } = App.useApp();
  /** The code follows the name until the person types a code of their own. */
  const codeTyped = useRef(false);
  const create = useMutation({
    mutationFn: (v: LinkForm) =>
      apiSend<SyncLink>("POST", "/api/sync/links", {
        id: v.id.trim(),
        name: v.name.trim(),
        peerUrl: v.peerUrl.trim(),
        token: v.token.trim(),
        areaId: v.areaId || null,
        indicators: v.indicators?.length ? v.indicators.map((c) => c.trim()).filter(Boolean) : null,
        webhookSecret: v.webhookSecret?.trim() || null,
      } satisfies NewSyncLink),
    onSuccess: (l) => {
      message.success(`Đã thêm kết nối "${l.name}"`);
      form.resetFields();
      codeTyped.current = false;
      onAdded(l);
      onClose();
    },
    onError: (e) => {
      // The server names the field it refuses (an unknown area or indicator, a code already used): show it there.
      const field = e instanceof ApiError ? e.field : undefined;
      if (field && ["id", "name", "peerUrl", "token", "areaId", "indicators", "webhookSecret"].includes(field))
        form.setFields([{ name: field as keyof LinkForm, errors: [e.message] }]);
      else message.error(e.message);
    },
  });
  return (
    <Modal title="Thêm kết nối liên thông" open={open} onCancel={onClose} footer={null} destroyOnHidden width={560}>
      <Form<LinkForm>
        form={form}
        layout="vertical"
        onFinish={(v) => create.mutate(v)}
        onValuesChange={(changed: Partial<LinkForm>) => {
          if ("id" in changed) codeTyped.current = true;
          else if ("name" in changed && !codeTyped.current) form.setFieldsValue({ id: codeFromName(changed.name ?? "") });
        }}
      >
        <Form.Item
          label="Tên kết nối"
          name="name"
          rules={[
            { required: true, whitespace: true, message: "Nhập tên kết nối" },
            { max: 200, message: "Tên kết nối tối đa 200 ký tự" },
          ]}
        >
          <Input placeholder="ví dụ: Hệ thống thành phố Cần Thơ" />
        </Form.Item>
        <Form.Item
          label="Mã kết nối"
          name="id"
          extra="Chữ thường không dấu, số và dấu gạch ngang; không đổi được sau khi tạo."
          rules={[
            { required: true, message: "Nhập mã kết nối" },
            { pattern: LINK_CODE, message: "Mã kết nối chỉ gồm chữ thường không dấu, số và dấu gạch ngang (tối đa 40 ký tự)" },
          ]}
        >
          <Input placeholder="ví dụ: can-tho" />
        </Form.Item>
        <Form.Item
          label="Địa chỉ hệ thống kia"
          name="peerUrl"
          rules={[
            { required: true, whitespace: true, message: "Nhập địa chỉ của hệ thống kia" },
            {
              validator: async (_, v?: string) => {
                if (v && !isWebAddress(v.trim()))
                  throw new Error("Địa chỉ không hợp lệ: nhập đầy đủ, ví dụ https://dieuhanh.cantho.gov.vn/");
              },
            },
          ]}
        >
          <Input placeholder="https://dieuhanh.cantho.gov.vn/" inputMode="url" />
        </Form.Item>
        <Form.Item
          label="Khóa API do hệ thống kia cấp"
          name="token"
          extra="Chỉ cần quyền đọc. Khóa được lưu tại máy chủ và không hiển thị lại."
          rules={[
            { required: true, whitespace: true, message: "Nhập khóa API của hệ thống kia" },
            { min: 8, message: "Khóa API có ít nhất 8 ký tự" },
            { max: 200, message: "Khóa API tối đa 200 ký tự" },
          ]}
        >
          <Input.Password autoComplete="off" />
        </Form.Item>
        <Form.Item label="Địa bàn do hệ thống kia quản lý (để trống: mọi địa bàn)" name="areaId">
          <AreaSearch />
        </Form.Item>
        <Form.Item
          label="Mã chỉ số do hệ thống kia quản lý (để trống: mọi chỉ số)"
          name="indicators"
          extra="Gõ mã chỉ số rồi nhấn Enter hoặc dấu phẩy, ví dụ CT.A.I.3"
        >
          <Select mode="tags" tokenSeparators={[",", " ", ";"]} open={false} suffixIcon={null} placeholder="Mọi chỉ số" />
        </Form.Item>
        <Form.Item
          label="Khóa ký webhook (không bắt buộc)"
          name="webhookSecret"
          extra="Khóa whsec_… hệ thống kia đưa khi đăng ký webhook gửi đến đây: kết nối được đánh thức ngay khi bên kia có thay đổi."
          rules={[{ pattern: WEBHOOK_SECRET, message: "Khóa ký webhook có dạng whsec_… (ít nhất 16 ký tự sau whsec_)" }]}
        >
          <Input autoComplete="off" placeholder="whsec_…" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={create.isPending}>
          Thêm kết nối
        </Button>
      </Form>
    </Modal>
  );
}
