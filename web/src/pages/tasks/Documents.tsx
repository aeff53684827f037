import { PaperClipOutlined, PlusOutlined, UploadOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { formatDate } from "@dieuhanh/core";
import { App, Button, DatePicker, Form, Input, Modal, Select, Space, Table, Typography, Upload } from "antd";
import type { Dayjs } from "dayjs";
import { useState } from "react";
import { Link } from "react-router-dom";
import { apiGet, apiSend, apiUpload, type Page } from "../../api/client";
import type { Area, Attachment, BodyOf, DirectiveDocument as Doc, JsonOf } from "../../api/types";
import { useAuth } from "../../components/auth";
import { QueryState } from "../../components/QueryState";
import { CreateTaskModal } from "./CreateTask";

const kinds: { value: Doc["kind"]; label: string }[] = [
  { value: "decision", label: "Quyết định" },
  { value: "plan", label: "Kế hoạch" },
  { value: "resolution", label: "Nghị quyết" },
  { value: "conclusion_notice", label: "Thông báo kết luận" },
  { value: "official_letter", label: "Công văn" },
  { value: "directive", label: "Chỉ thị" },
  { value: "other", label: "Văn bản khác" },
];

interface Values {
  kind: Doc["kind"];
  number?: string;
  issuedOn?: Dayjs;
  issuer: string;
  title: string;
  areaId?: string | null;
}

/** The answer to adding a document: the document without its task count (it has none yet). */
type NewDoc = JsonOf<"/api/documents", "post">;

/** Adding a directive document (văn bản chỉ đạo) with its file; the server checks the file by its content. */
function NewDocumentModal({ onClose, onCreated }: { onClose: () => void; onCreated: (d: NewDoc) => void }) {
  const { message } = App.useApp();
  const { me } = useAuth();
  const [form] = Form.useForm<Values>();
  const [file, setFile] = useState<Attachment | null>(null);
  const [uploading, setUploading] = useState(false);
  const provinces = useQuery({
    queryKey: ["areas", "provinces"],
    queryFn: () => apiGet<Page<Area>>("/api/areas", { level: "province", limit: 100 }),
  });
  const create = useMutation({
    mutationFn: (v: Values) =>
      apiSend<NewDoc>("POST", "/api/documents", {
        kind: v.kind,
        number: v.number?.trim() || null,
        issuedOn: v.issuedOn?.format("YYYY-MM-DD") ?? null,
        issuer: v.issuer.trim(),
        title: v.title.trim(),
        areaId: v.areaId ?? null,
        attachmentId: file?.id ?? null,
      } satisfies BodyOf<"/api/documents", "post">),
    onSuccess: (d) => {
      message.success(`Đã thêm văn bản ${d.number ?? d.title}`);
      onCreated(d);
    },
    onError: (e) => message.error(e.message),
  });
  const upload = async (f: File) => {
    setUploading(true);
    try {
      const saved = await apiUpload<Attachment>(
        `/api/attachments?fileName=${encodeURIComponent(f.name)}`,
        f,
        "application/octet-stream",
      );
      setFile(saved);
    } catch (e) {
      message.error((e as Error).message);
    } finally {
      setUploading(false);
    }
    return false;
  };
  // A province's office issues for its own province: the area defaults to (and stays within) its scope.
  const scopeArea = me.scope.areaId;
  const areaOptions = [
    ...(scopeArea ? [] : [{ value: "VN", label: "Cả nước" }]),
    ...(provinces.data?.items ?? [])
      .filter((a) => !scopeArea || a.id === scopeArea)
      .map((a) => ({ value: a.id, label: a.fullName || a.name })),
  ];
  return (
    <Modal
      open
      title="Thêm văn bản chỉ đạo"
      okText="Lưu văn bản"
      cancelText="Hủy"
      width={720}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={create.isPending}
      okButtonProps={{ disabled: uploading }}
    >
      <Form<Values>
        form={form}
        layout="vertical"
        initialValues={{ kind: "decision", areaId: scopeArea ?? null }}
        onFinish={(v) => create.mutate(v)}
      >
        <Space wrap style={{ width: "100%" }}>
          <Form.Item name="kind" label="Loại văn bản" rules={[{ required: true }]}>
            <Select style={{ width: 200 }} options={kinds} aria-label="Loại văn bản" />
          </Form.Item>
          <Form.Item name="number" label="Số, ký hiệu">
            <Input style={{ width: 200 }} placeholder="123/QĐ-UBND" aria-label="Số, ký hiệu" />
          </Form.Item>
          <Form.Item name="issuedOn" label="Ngày ban hành">
            <DatePicker format="DD/MM/YYYY" aria-label="Ngày ban hành" />
          </Form.Item>
        </Space>
        <Form.Item name="issuer" label="Cơ quan ban hành" rules={[{ required: true, min: 2, message: "Nhập cơ quan ban hành" }]}>
          <Input aria-label="Cơ quan ban hành" placeholder="Ủy ban nhân dân thành phố Cần Thơ" />
        </Form.Item>
        <Form.Item
          name="title"
          label="Trích yếu"
          rules={[{ required: true, min: 5, message: "Nhập trích yếu (ít nhất 5 ký tự)" }]}
        >
          <Input.TextArea rows={2} aria-label="Trích yếu" />
        </Form.Item>
        <Form.Item name="areaId" label="Địa bàn áp dụng">
          <Select
            allowClear={!scopeArea}
            showSearch
            optionFilterProp="label"
            style={{ width: 320 }}
            options={areaOptions}
            aria-label="Địa bàn áp dụng"
          />
        </Form.Item>
        <Form.Item label="Tệp văn bản (PDF, .docx, .xlsx, ảnh; tối đa 20 MB)">
          <Space>
            <Upload accept=".pdf,.docx,.xlsx,.png,.jpg,.jpeg" showUploadList={false} beforeUpload={(f) => upload(f)}>
              <Button icon={<UploadOutlined />} loading={uploading}>
                Chọn tệp
              </Button>
            </Upload>
            {file && (
              <Typography.Text data-testid="document-file">
                <PaperClipOutlined /> {file.fileName}
              </Typography.Text>
            )}
          </Space>
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** Directive documents: the list, adding one with its file, and assigning tasks from a document. */
export default function DocumentsPage() {
  const { can } = useAuth();
  const queryClient = useQueryClient();
  const [q, setQ] = useState("");
  const [adding, setAdding] = useState(false);
  const [assigningFrom, setAssigningFrom] = useState<string | null>(null);
  const documents = useQuery({
    queryKey: ["documents", q],
    queryFn: () => apiGet<Page<Doc>>("/api/documents", { q, limit: 200 }),
  });
  return (
    <>
      <Space style={{ width: "100%", justifyContent: "space-between" }} wrap>
        <Typography.Title level={3}>Văn bản chỉ đạo</Typography.Title>
        <Space wrap>
          <Input.Search placeholder="Tìm số, trích yếu, cơ quan" allowClear onSearch={setQ} style={{ width: 280 }} />
          {can("tasks.manage") && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)}>
              Thêm văn bản
            </Button>
          )}
        </Space>
      </Space>
      <QueryState isLoading={documents.isLoading} error={documents.error}>
        <Table<Doc>
          rowKey="id"
          size="small"
          dataSource={documents.data?.items}
          pagination={{ pageSize: 50, showSizeChanger: false }}
          scroll={{ x: 1400 }}
          columns={[
            { title: "Số, ký hiệu", dataIndex: "number", width: 160, render: (v: string | null, d) => v ?? d.kindLabel },
            { title: "Loại", dataIndex: "kindLabel", width: 140 },
            { title: "Ngày ban hành", dataIndex: "issuedOn", width: 120, render: (v: string | null) => formatDate(v) },
            { title: "Cơ quan ban hành", dataIndex: "issuer", width: 220 },
            { title: "Trích yếu", dataIndex: "title", width: 420 },
            {
              title: "Tệp",
              dataIndex: "attachmentId",
              width: 70,
              render: (id: string | null) =>
                id && (
                  <a href={`/api/attachments/${id}`} aria-label="Tải tệp văn bản">
                    <PaperClipOutlined />
                  </a>
                ),
            },
            {
              title: "Nhiệm vụ",
              dataIndex: "taskCount",
              width: 100,
              align: "right",
              render: (n: number, d) => (n ? <Link to={`/nhiem-vu?document=${encodeURIComponent(d.id)}`}>{n}</Link> : "0"),
            },
            ...(can("tasks.manage")
              ? [
                  {
                    title: "",
                    key: "assign",
                    width: 150,
                    render: (_: unknown, d: Doc) => (
                      <Button size="small" onClick={() => setAssigningFrom(d.id)}>
                        Giao nhiệm vụ
                      </Button>
                    ),
                  },
                ]
              : []),
          ]}
        />
      </QueryState>
      {adding && (
        <NewDocumentModal
          onClose={() => setAdding(false)}
          onCreated={(d) => {
            setAdding(false);
            void queryClient.invalidateQueries({ queryKey: ["documents"] });
            setAssigningFrom(d.id);
          }}
        />
      )}
      {assigningFrom && <CreateTaskModal documentId={assigningFrom} onClose={() => setAssigningFrom(null)} />}
    </>
  );
}
