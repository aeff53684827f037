import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { App, DatePicker, Form, Input, Modal, Select } from "antd";
import type { Dayjs } from "dayjs";
import { useNavigate } from "react-router-dom";
import { apiGet, apiSend, type Page } from "../../api/client";
import type { Agency, DirectiveDocument, JsonOf } from "../../api/types";

interface Values {
  documentId?: string;
  name: string;
  expectedResult?: string;
  deadlineKind: "date" | "range" | "recurring" | "on_request";
  dueDate?: Dayjs;
  range?: [Dayjs, Dayjs];
  cadence?: "month" | "quarter" | "half_year" | "year";
  leadAgencies: string[];
  coordinatingAgencies?: string[];
  priority: "normal" | "high" | "urgent";
}

/** Assigning a task (giao nhiệm vụ) by hand or from a directive document; the server checks everything again. */
export function CreateTaskModal({
  onClose,
  parentCode,
  documentId,
}: {
  onClose: () => void;
  parentCode?: string;
  /** Assigning from this document (chosen already). */
  documentId?: string;
}) {
  const { message } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<Values>();
  const kind = Form.useWatch("deadlineKind", form);
  const agencies = useQuery({
    queryKey: ["agencies", "all"],
    queryFn: () => apiGet<Page<Agency>>("/api/agencies", { limit: 5000 }),
  });
  const documents = useQuery({
    queryKey: ["documents", "all"],
    queryFn: () => apiGet<Page<DirectiveDocument>>("/api/documents", { limit: 500 }),
  });
  const agencyOptions = agencies.data?.items.filter((a) => !a.dissolvedOn).map((a) => ({ value: a.code, label: a.name }));
  const create = useMutation({
    mutationFn: (v: Values) => {
      const deadline =
        v.deadlineKind === "date"
          ? { kind: "date", dueDate: v.dueDate?.format("YYYY-MM-DD") }
          : v.deadlineKind === "range"
            ? { kind: "range", from: v.range?.[0].format("YYYY-MM-DD"), to: v.range?.[1].format("YYYY-MM-DD") }
            : v.deadlineKind === "recurring"
              ? { kind: "recurring", cadence: v.cadence ?? null }
              : { kind: "on_request" };
      return apiSend<JsonOf<"/api/tasks", "post">>("POST", "/api/tasks", {
        documentId: v.documentId ?? null,
        name: v.name,
        expectedResult: v.expectedResult ?? null,
        deadline,
        leadAgencies: v.leadAgencies,
        coordinatingAgencies: v.coordinatingAgencies ?? [],
        priority: v.priority,
        parentCode: parentCode ?? null,
      });
    },
    onSuccess: (r) => {
      message.success(`Đã giao nhiệm vụ ${r.code}`);
      void queryClient.invalidateQueries({ queryKey: ["tasks"] });
      void queryClient.invalidateQueries({ queryKey: ["task"] });
      onClose();
      navigate(`/nhiem-vu/${r.code}`);
    },
    onError: (e) => message.error(e.message),
  });
  return (
    <Modal
      open
      title={parentCode ? `Giao nhiệm vụ con của ${parentCode}` : "Giao nhiệm vụ"}
      okText="Giao"
      cancelText="Hủy"
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={create.isPending}
      width={720}
    >
      <Form<Values>
        form={form}
        layout="vertical"
        initialValues={{ deadlineKind: "date", priority: "normal", documentId }}
        onFinish={(v) => create.mutate(v)}
      >
        <Form.Item name="documentId" label="Văn bản giao">
          <Select
            aria-label="Văn bản giao"
            allowClear
            showSearch
            optionFilterProp="label"
            options={documents.data?.items.map((d) => ({
              value: d.id,
              label: `${d.number ?? d.kindLabel} — ${d.title.slice(0, 80)}`,
            }))}
          />
        </Form.Item>
        <Form.Item name="name" label="Nhiệm vụ" rules={[{ required: true, min: 5, message: "Nhập nội dung nhiệm vụ" }]}>
          <Input.TextArea rows={2} aria-label="Nhiệm vụ" />
        </Form.Item>
        <Form.Item name="expectedResult" label="Kết quả, sản phẩm">
          <Input.TextArea rows={2} />
        </Form.Item>
        <Form.Item name="deadlineKind" label="Loại thời hạn">
          <Select
            options={[
              { value: "date", label: "Một ngày" },
              { value: "range", label: "Một khoảng" },
              { value: "recurring", label: "Thường xuyên" },
              { value: "on_request", label: "Theo yêu cầu" },
            ]}
          />
        </Form.Item>
        {kind === "date" && (
          <Form.Item name="dueDate" label="Thời hạn" rules={[{ required: true, message: "Chọn thời hạn" }]}>
            <DatePicker format="DD/MM/YYYY" aria-label="Thời hạn" />
          </Form.Item>
        )}
        {kind === "range" && (
          <Form.Item name="range" label="Từ ngày – đến ngày" rules={[{ required: true, message: "Chọn khoảng thời gian" }]}>
            <DatePicker.RangePicker format="DD/MM/YYYY" />
          </Form.Item>
        )}
        {kind === "recurring" && (
          <Form.Item name="cadence" label="Báo cáo tiến độ định kỳ">
            <Select
              allowClear
              options={[
                { value: "month", label: "Hằng tháng" },
                { value: "quarter", label: "Hằng quý" },
                { value: "half_year", label: "6 tháng" },
                { value: "year", label: "Hằng năm" },
              ]}
            />
          </Form.Item>
        )}
        <Form.Item name="leadAgencies" label="Cơ quan chủ trì" rules={[{ required: true, message: "Chọn cơ quan chủ trì" }]}>
          <Select mode="multiple" showSearch optionFilterProp="label" options={agencyOptions} aria-label="Cơ quan chủ trì" />
        </Form.Item>
        <Form.Item name="coordinatingAgencies" label="Cơ quan phối hợp">
          <Select mode="multiple" showSearch optionFilterProp="label" options={agencyOptions} />
        </Form.Item>
        <Form.Item name="priority" label="Mức độ">
          <Select
            options={[
              { value: "normal", label: "Bình thường" },
              { value: "high", label: "Quan trọng" },
              { value: "urgent", label: "Khẩn" },
            ]}
          />
        </Form.Item>
      </Form>
    </Modal>
  );
}
