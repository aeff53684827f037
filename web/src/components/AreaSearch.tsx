import { useQuery } from "@tanstack/react-query";
import { Select } from "antd";
import { useState } from "react";
import { apiGet, type Page } from "../api/client";
import type { Area } from "../api/types";

/** Picks a province or commune by name (searched without diacritics); the form keeps its code. */
export function AreaSearch({
  id,
  value,
  onChange,
}: {
  /** Given by Form.Item, so that its label names this field. */
  id?: string;
  value?: string;
  onChange?: (v: string | undefined) => void;
}) {
  const [q, setQ] = useState("");
  const found = useQuery({
    queryKey: ["areas", "search", q],
    // Provinces first, then communes: a commune's search text holds its province's name too.
    queryFn: async () => {
      const provinces = await apiGet<Page<Area>>("/api/areas", { level: "province", limit: 100, ...(q ? { q } : {}) });
      const communes = q ? await apiGet<Page<Area>>("/api/areas", { level: "commune", q, limit: 30 }) : { items: [] };
      return { items: [...provinces.items, ...communes.items] };
    },
  });
  return (
    <Select
      id={id}
      allowClear
      showSearch
      filterOption={false}
      placeholder="Gõ tên tỉnh, thành phố hoặc xã, phường"
      value={value}
      onChange={(v?: string) => onChange?.(v)}
      onSearch={setQ}
      options={(found.data?.items ?? [])
        .filter((a) => a.level === "province" || a.level === "commune")
        .map((a) => ({ value: a.id, label: a.fullName }))}
    />
  );
}
