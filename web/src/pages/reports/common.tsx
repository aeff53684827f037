import { useQuery } from "@tanstack/react-query";
import { formatNumber, formatPeriod, parseNumber, parsePeriod, previousPeriod } from "@dieuhanh/core";
import { Select, Space, Tag, Typography } from "antd";
import { useMemo } from "react";
import { apiGet, type Page } from "../../api/client";
import type { Agency, Area, DataValue } from "../../api/types";
import { useAuth } from "../../components/auth";

export interface ReportKey {
  agency: string;
  area: string;
  period: string;
  [k: string]: string;
}

/** The month before the current one: the report most people are filling. */
export function lastMonthCode(today = new Date()): string {
  const y = today.getFullYear();
  const m = today.getMonth() + 1;
  const code = `${y}M${String(m).padStart(2, "0")}`;
  return previousPeriod(parsePeriod(code)!).code;
}

/** The period `n` periods before `code` (2025M10, 23 → 2023M11). */
export function periodsBefore(code: string, n: number): string {
  let p = parsePeriod(code)!;
  for (let i = 0; i < n; i++) p = previousPeriod(p);
  return p.code;
}

/** The last `n` months, newest first. */
export function recentMonths(n = 36): { value: string; label: string }[] {
  const out: { value: string; label: string }[] = [];
  let p = parsePeriod(lastMonthCode())!;
  // The current month is open too: figures may be entered as it runs (daily/weekly updates).
  const now = new Date();
  const current = parsePeriod(`${now.getFullYear()}M${String(now.getMonth() + 1).padStart(2, "0")}`)!;
  out.push({ value: current.code, label: formatPeriod(current) });
  for (let i = 0; i < n; i++) {
    out.push({ value: p.code, label: formatPeriod(p) });
    p = previousPeriod(p);
  }
  return out;
}

/** Agency, area and period from the address, defaulting to the user's scope and last month. */
export function useReportKey(params: URLSearchParams): ReportKey {
  const { me } = useAuth();
  return {
    agency: params.get("agency") ?? me?.scope.agencies?.[0] ?? "",
    // A user without an area scope reports for the whole country unless they pick a province.
    area: params.get("area") ?? me?.scope.areaId ?? "VN",
    period: params.get("period") ?? lastMonthCode(),
  };
}

export function ReportPicker({
  value,
  onChange,
  agencyOptional,
}: {
  value: ReportKey;
  onChange: (k: ReportKey) => void;
  agencyOptional?: boolean;
}) {
  const { me } = useAuth();
  const agencies = useQuery({
    queryKey: ["agencies", "all"],
    queryFn: () => apiGet<Page<Agency>>("/api/agencies", { limit: 500 }),
    staleTime: Infinity,
  });
  const provinces = useQuery({
    queryKey: ["areas", "provinces"],
    queryFn: () => apiGet<Page<Area>>("/api/areas", { level: "province", limit: 100 }),
    staleTime: Infinity,
  });
  const scoped = me?.scope.agencies;
  const agencyOptions = useMemo(
    () =>
      (agencies.data?.items ?? [])
        .filter((a) => !scoped || scoped.includes(a.code))
        .map((a) => ({ value: a.code, label: `${a.name} (${a.code})` })),
    [agencies.data, scoped],
  );
  const areaOptions = [
    ...(me?.scope.areaId ? [] : [{ value: "VN", label: "Toàn quốc" }]),
    ...(provinces.data?.items ?? [])
      .filter((a) => !me?.scope.areaId || a.id === me.scope.areaId)
      .map((a) => ({ value: a.id, label: `${a.name} (${a.id})` })),
  ];
  return (
    <Space wrap>
      <Select
        aria-label="Cơ quan"
        showSearch
        optionFilterProp="label"
        allowClear={agencyOptional}
        placeholder="Cơ quan báo cáo"
        style={{ width: 340 }}
        value={value.agency || undefined}
        options={agencyOptions}
        onChange={(agency) => onChange({ ...value, agency: agency ?? "" })}
      />
      <Select
        aria-label="Địa bàn"
        showSearch
        optionFilterProp="label"
        placeholder="Địa bàn"
        style={{ width: 220 }}
        value={value.area || undefined}
        options={areaOptions}
        onChange={(area) => onChange({ ...value, area })}
      />
      <Select
        aria-label="Kỳ báo cáo"
        style={{ width: 160 }}
        value={value.period}
        options={recentMonths()}
        onChange={(period) => onChange({ ...value, period })}
      />
    </Space>
  );
}

export const statusLabels: Record<DataValue["status"], { text: string; color: string }> = {
  draft: { text: "Nháp", color: "default" },
  submitted: { text: "Đã gửi", color: "blue" },
  approved: { text: "Đã duyệt", color: "green" },
  returned: { text: "Bị trả lại", color: "red" },
};

export function StatusTag({ value }: { value: DataValue | null }) {
  if (!value) return <Tag>Chưa nhập</Tag>;
  const s = statusLabels[value.status];
  return (
    <Space size={2}>
      <Tag color={s.color}>{s.text}</Tag>
      {value.sample && <Tag color="gold">Mẫu</Tag>}
      {value.flags.includes("outlier") && <Tag color="orange">Bất thường</Tag>}
    </Space>
  );
}

/** Change of the typed value against a base, in %, coloured by direction. */
export function ChangeText({ entry, base }: { entry: string | undefined; base: number | null }) {
  if (!entry || base === null || base === 0) return null;
  const n = parseNumber(entry, "vi");
  if (!n.ok) return null;
  const change = ((n.value - base) / Math.abs(base)) * 100;
  return (
    <Typography.Text
      type={change < 0 ? "danger" : undefined}
    >{`${change > 0 ? "+" : ""}${formatNumber(change, 1)}%`}</Typography.Text>
  );
}
