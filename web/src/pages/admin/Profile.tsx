import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { formatDay, formatTime } from "@dieuhanh/core";
import { Alert, App, Button, Card, Descriptions, Form, Input, Select, Space, Typography } from "antd";
import { useEffect } from "react";
import { apiGet, apiSend, type Page } from "../../api/client";
import type { Agency, Area, BodyOf, Catalogue, IndicatorSummary } from "../../api/types";
import { QueryState } from "../../components/QueryState";
import { useProfile, type InstallProfile } from "../../components/useHome";

interface ProfileForm {
  kind: InstallProfile["kind"];
  name?: string;
  areaId?: string;
  catalogueId?: string;
  agencyCode?: string;
  defaultTiles?: string[];
}

const kindOptions = [
  { value: "government_office", label: "Văn phòng Chính phủ (cả nước)" },
  { value: "ministry", label: "Bộ, cơ quan ngang bộ (cả nước)" },
  { value: "province", label: "Tỉnh, thành phố" },
];

/**
 * The install profile (hồ sơ triển khai), for the administrator: whom the install serves, its home
 * catalogue and area, and the indicators every page opens with. Saved with the version read (no silent
 * overwrite) and recorded in the audit trail.
 */
export default function ProfilePage() {
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const profile = useProfile();
  const [form] = Form.useForm<ProfileForm>();
  const kind = Form.useWatch("kind", form);
  const catalogueId = Form.useWatch("catalogueId", form);
  const provinces = useQuery({
    queryKey: ["areas", "provinces"],
    queryFn: () => apiGet<Page<Area>>("/api/areas", { level: "province", limit: 100 }),
    staleTime: Infinity,
  });
  const catalogues = useQuery({ queryKey: ["catalogues"], queryFn: () => apiGet<Page<Catalogue>>("/api/catalogues") });
  const agencies = useQuery({
    queryKey: ["agencies", "ministries"],
    enabled: kind === "ministry",
    queryFn: () => apiGet<Page<Agency>>("/api/agencies", { level: "central", includeDissolved: "false", limit: 5000 }),
  });
  const indicators = useQuery({
    queryKey: ["catalogue-rows", catalogueId, "all"],
    enabled: !!catalogueId,
    queryFn: () => apiGet<Page<IndicatorSummary>>(`/api/catalogues/${catalogueId}/indicators`, { limit: 500 }),
  });
  const p = profile.data;
  useEffect(() => {
    if (!p) return;
    form.setFieldsValue({
      kind: p.kind,
      name: p.name,
      areaId: p.area.id,
      catalogueId: p.catalogue.id,
      agencyCode: p.agency?.code,
      defaultTiles: p.defaultTiles,
    });
  }, [p, form]);

  const save = useMutation({
    mutationFn: (v: ProfileForm) =>
      apiSend<InstallProfile>("PUT", "/api/profile", {
        kind: v.kind,
        name: v.name?.trim() || null,
        areaId: v.kind === "province" ? (v.areaId ?? null) : "VN",
        catalogueId: v.catalogueId ?? null,
        agencyCode: v.kind === "ministry" ? (v.agencyCode ?? null) : null,
        defaultTiles: v.defaultTiles?.length ? v.defaultTiles : null,
        version: p?.version ?? 0,
      } satisfies BodyOf<"/api/profile", "put">),
    onSuccess: (saved) => {
      message.success("Đã lưu hồ sơ triển khai");
      queryClient.setQueryData(["profile"], saved);
      // Every page's defaults come from the profile.
      void queryClient.invalidateQueries({ queryKey: ["analytics"] });
    },
    onError: (e) => message.error(e.message),
  });

  return (
    <>
      <Typography.Title level={3}>Hồ sơ triển khai</Typography.Title>
      <QueryState isLoading={profile.isLoading} error={profile.error}>
        {p && (
          <Space direction="vertical" style={{ width: "100%" }} size="middle">
            {!p.stored && (
              <Alert
                type="info"
                showIcon
                message="Chưa lưu hồ sơ: hệ thống đang dùng mặc định của Văn phòng Chính phủ (bộ chỉ số quốc gia, cả nước)."
              />
            )}
            <Card size="small" title="Đang áp dụng" data-testid="profile-current">
              <Descriptions column={{ xs: 1, md: 2 }} size="small">
                <Descriptions.Item label="Đơn vị sử dụng">{p.name}</Descriptions.Item>
                <Descriptions.Item label="Loại">{p.kindLabel}</Descriptions.Item>
                <Descriptions.Item label="Địa bàn">{p.area.id === "VN" ? "Cả nước" : p.area.name}</Descriptions.Item>
                <Descriptions.Item label="Bộ chỉ số">{p.catalogue.name}</Descriptions.Item>
                {p.agency && <Descriptions.Item label="Cơ quan">{p.agency.name}</Descriptions.Item>}
                <Descriptions.Item label="Cập nhật">
                  {p.updatedAt ? `${formatTime(new Date(p.updatedAt))} ${formatDay(new Date(p.updatedAt))}` : "—"}
                </Descriptions.Item>
              </Descriptions>
            </Card>
            <Card size="small" title="Sửa hồ sơ">
              <Form
                form={form}
                layout="vertical"
                style={{ maxWidth: 720 }}
                onFinish={(v) => save.mutate(v)}
                onValuesChange={(changed: Partial<ProfileForm>) => {
                  // A new kind or area picks its own catalogue and tiles unless chosen again.
                  if (changed.kind || changed.areaId)
                    form.setFieldsValue({ catalogueId: undefined, defaultTiles: undefined, name: undefined });
                  if (changed.catalogueId) form.setFieldsValue({ defaultTiles: undefined });
                }}
              >
                <Form.Item name="kind" label="Đơn vị sử dụng là" rules={[{ required: true, message: "Chọn loại đơn vị" }]}>
                  <Select aria-label="Loại đơn vị" options={kindOptions} />
                </Form.Item>
                {kind === "province" && (
                  <Form.Item name="areaId" label="Tỉnh, thành phố" rules={[{ required: true, message: "Chọn tỉnh, thành phố" }]}>
                    <Select
                      aria-label="Tỉnh, thành phố"
                      showSearch
                      optionFilterProp="label"
                      options={(provinces.data?.items ?? []).map((a) => ({ value: a.id, label: a.name }))}
                    />
                  </Form.Item>
                )}
                {kind === "ministry" && (
                  <Form.Item name="agencyCode" label="Bộ, cơ quan" rules={[{ required: true, message: "Chọn bộ, cơ quan" }]}>
                    <Select
                      aria-label="Bộ, cơ quan"
                      showSearch
                      optionFilterProp="label"
                      options={(agencies.data?.items ?? []).map((a) => ({ value: a.code, label: a.name }))}
                    />
                  </Form.Item>
                )}
                <Form.Item name="name" label="Tên đơn vị" extra="Để trống: theo loại và địa bàn">
                  <Input aria-label="Tên đơn vị" maxLength={200} />
                </Form.Item>
                <Form.Item
                  name="catalogueId"
                  label="Bộ chỉ số chính"
                  extra="Để trống: bộ chỉ số của tỉnh nếu có, nếu không bộ quốc gia"
                >
                  <Select
                    aria-label="Bộ chỉ số chính"
                    allowClear
                    options={(catalogues.data?.items ?? []).map((c) => ({
                      value: c.id,
                      label: `${c.document.number ?? "Kế hoạch"} — ${c.document.issuer}`,
                    }))}
                  />
                </Form.Item>
                <Form.Item
                  name="defaultTiles"
                  label="Chỉ số các trang mở ra (tổng quan, màn hình lớn, bản đồ, bảng mới)"
                  extra="Để trống: các chỉ số của bộ chỉ số tương ứng với chỉ số chính của cả nước"
                >
                  <Select
                    aria-label="Chỉ số mặc định"
                    mode="multiple"
                    allowClear
                    optionFilterProp="label"
                    maxCount={24}
                    options={(indicators.data?.items ?? [])
                      .filter((i) => i.kind !== "heading" && i.unit)
                      .map((i) => ({ value: i.code, label: `${i.code} ${i.name}` }))}
                  />
                </Form.Item>
                <Button type="primary" htmlType="submit" loading={save.isPending} data-testid="profile-save">
                  Lưu hồ sơ
                </Button>
              </Form>
            </Card>
          </Space>
        )}
      </QueryState>
    </>
  );
}
