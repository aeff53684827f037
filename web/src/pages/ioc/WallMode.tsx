import { useQuery } from "@tanstack/react-query";
import { formatDate, formatDay, formatNumber, formatTime } from "@dieuhanh/core";
import { Progress } from "antd";
import { useEffect, useState } from "react";
import { useNavigate, useSearchParams } from "react-router-dom";
import { apiGet, type Page } from "../../api/client";
import type { AnalyticsResult, Completeness, Task } from "../../api/types";
import { useLiveData } from "../../components/live";
import { useHomeDefaults } from "../../components/useHome";
import { lastMonthCode } from "../reports/common";
import { Choropleth, useChildFigures, useMapArea } from "./Choropleth";
import { SampleMark, useAreaName } from "./common";
import { Tile, useTiles } from "./Overview";

/**
 * The indicator the wall's map shows: the one asked for, else the first key indicator with figures for
 * the area's children (a province's national indicators often have none by commune).
 */
function useMapIndicator(area: string, tiles: string[], period: string, asked: string | null) {
  // A commune is shown by its own figure (it has no children).
  const where = useMapArea(area);
  const units = where?.focus ? { areas: area } : { parent: area };
  const q = useQuery({
    queryKey: ["analytics", "map-candidates", area, period, tiles.join(",")],
    enabled: !asked && tiles.length > 0 && !!where,
    queryFn: () => apiGet<AnalyticsResult>("/api/analytics", { indicators: tiles.join(","), ...units, from: period, to: period }),
  });
  if (asked) return asked;
  const withData = q.data?.indicators.find((i) =>
    q.data!.series.some((s) => s.indicator === i.code && s.points[0]?.value !== null),
  );
  return q.data ? (withData?.code ?? tiles[0]!) : null;
}

/** Tiles per row on the wall: four for the usual eight, five or six for more (two rows at most). */
const columnsFor = (n: number) => (n <= 8 ? 4 : n <= 10 ? 5 : 6);

function Panel({
  title,
  extra,
  children,
  testId,
}: {
  title: React.ReactNode;
  extra?: React.ReactNode;
  children: React.ReactNode;
  testId?: string;
}) {
  return (
    <section className="wall-panel" data-testid={testId}>
      <header>
        <h2>{title}</h2>
        {extra}
      </header>
      <div className="wall-panel-body">{children}</div>
    </section>
  );
}

function MapPanel({ area, indicator, period }: { area: string; indicator: string; period: string }) {
  const figures = useChildFigures(area, indicator, period);
  const ind = figures.result?.indicators[0];
  const children = figures.result?.areas.length ?? 0;
  return (
    <Panel
      testId="wall-map"
      title={ind ? `${ind.name}${ind.unit ? ` (${ind.unit})` : ""}` : "Bản đồ"}
      extra={
        <span className="wall-muted">
          {figures.result?.periods[0]?.label} · {formatNumber(figures.withData)}/{formatNumber(children)}{" "}
          {area === "VN" ? "tỉnh" : "xã"} có số liệu <SampleMark show={figures.sample} />
        </span>
      }
    >
      <Choropleth testId="wall-choropleth" area={area} indicator={indicator} period={period} height="100%" dark />
    </Panel>
  );
}

function CompletenessPanel({ area, period }: { area: string; period: string }) {
  const q = useQuery({
    queryKey: ["completeness", period, area],
    queryFn: () =>
      apiGet<Completeness>("/api/reports/completeness", { period, summary: "true", ...(area === "VN" ? {} : { area }) }),
  });
  const c = q.data?.summary;
  const percent = c && c.expected ? Math.round((c.submitted / c.expected) * 100) : 0;
  const behind = [...(q.data?.items ?? [])].filter((i) => i.missing > 0).sort((a, b) => b.missing - a.missing);
  return (
    <Panel testId="wall-completeness" title={`Tình hình báo cáo ${q.data?.period.label ?? ""}`}>
      {c ? (
        <>
          <div className="wall-big-line">
            <span className="wall-big">{formatNumber(percent)}%</span>
            <span>
              {formatNumber(c.submitted)}/{formatNumber(c.expected)} số liệu đã gửi
              <br />
              <span className={c.lateReports ? "wall-bad" : "wall-good"}>{formatNumber(c.lateReports)} báo cáo chậm</span>
            </span>
          </div>
          <Progress percent={percent} showInfo={false} strokeColor="#52c41a" trailColor="#2b4560" size={["100%", 14]} />
          <ul className="wall-list">
            {behind.slice(0, 4).map((i) => (
              <li key={`${i.agency}|${i.area}`}>
                <span className="wall-ellipsis">{i.agencyName}</span>
                <span className="wall-bad wall-nowrap">thiếu {formatNumber(i.missing)}</span>
              </li>
            ))}
            {behind.length === 0 && <li className="wall-good">Đã đủ số liệu</li>}
          </ul>
        </>
      ) : (
        <div className="wall-muted">{q.isLoading ? "Đang tải…" : "Chưa có số liệu"}</div>
      )}
    </Panel>
  );
}

/** The shown area's overdue tasks (its plans' and its agencies'), not the whole country's. */
function OverduePanel({ area }: { area: string }) {
  const q = useQuery({
    queryKey: ["tasks", "overdue", "wall", area],
    queryFn: () => apiGet<Page<Task>>("/api/tasks", { status: "overdue", sort: "due", limit: 5, area }),
  });
  return (
    <Panel
      testId="wall-overdue"
      title="Nhiệm vụ quá hạn"
      extra={
        <span className={q.data?.total ? "wall-bad wall-count" : "wall-good wall-count"}>{formatNumber(q.data?.total ?? 0)}</span>
      }
    >
      <ul className="wall-list">
        {(q.data?.items ?? []).map((t) => (
          <li key={t.code}>
            <span className="wall-ellipsis">
              {t.name}
              <br />
              <span className="wall-muted">{t.leadAgencies.map((a) => a.current.name).join(", ") || "—"}</span>
            </span>
            <span className="wall-bad wall-nowrap">
              hạn {formatDate(t.dueDate)}
              {t.daysLeft !== null && t.daysLeft < 0 ? <br /> : null}
              {t.daysLeft !== null && t.daysLeft < 0 ? `quá ${formatNumber(-t.daysLeft)} ngày` : ""}
            </span>
          </li>
        ))}
        {q.data && q.data.total === 0 && <li className="wall-good">Không có nhiệm vụ quá hạn</li>}
      </ul>
    </Panel>
  );
}

/**
 * Wall mode (màn hình lớn) for the operations room: one 1920×1080 screen read from across the room — the
 * map, the key figures, this month's reporting and the overdue tasks — dark, large type, nothing scrolls.
 * Figures refresh as soon as they change; Esc goes back.
 */
export default function WallMode() {
  const home = useHomeDefaults();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  // Without ?area: the caller's own area (a province's leader is never shown the whole country's).
  const area = home.areaFor(params.get("area"));
  const areaName = useAreaName(area);
  const tileCodes = home.tiles;
  const tiles = useTiles(area, tileCodes);
  const last = useLiveData();
  const period = lastMonthCode();
  const mapIndicator = useMapIndicator(area, tileCodes, period, params.get("indicator"));
  const [now, setNow] = useState(new Date());
  useEffect(() => {
    const t = setInterval(() => setNow(new Date()), 30_000);
    const esc = (e: KeyboardEvent) => e.key === "Escape" && navigate(-1);
    window.addEventListener("keydown", esc);
    void document.documentElement.requestFullscreen?.().catch(() => undefined);
    return () => {
      clearInterval(t);
      window.removeEventListener("keydown", esc);
    };
  }, [navigate]);
  const items = tiles.data?.items ?? [];
  // Two rows at most stay readable from across the room; the rest are on the overview.
  const shown = items.slice(0, 2 * columnsFor(items.length));
  const anySample = items.some((t) => t.latest?.sample);
  return (
    <div className="wall" data-testid="wall">
      <div className="wall-header">
        <h1 data-testid="wall-title">Trung tâm điều hành — {areaName ?? "…"}</h1>
        <div className="wall-clock" data-testid="wall-clock">
          <span>{formatDay(now)}</span> <strong>{formatTime(now)}</strong>
          {last ? <span className="wall-muted"> · cập nhật {formatTime(new Date(last), true)}</span> : null}
        </div>
      </div>
      <div className="wall-body">
        <div className="wall-map">{mapIndicator && <MapPanel area={area} indicator={mapIndicator} period={period} />}</div>
        <div
          className="wall-tiles"
          data-testid="wall-tiles"
          style={{ gridTemplateColumns: `repeat(${columnsFor(shown.length)}, minmax(0, 1fr))` }}
        >
          {shown.map((t) => (
            <Tile key={t.indicator.code} tile={t} area={area} big />
          ))}
        </div>
        <div className="wall-bottom">
          <CompletenessPanel area={area} period={period} />
          <OverduePanel area={area} />
        </div>
      </div>
      <div className="wall-footer">
        <span>
          {formatNumber(items.filter((t) => t.latest).length)}/{formatNumber(items.length)} chỉ số có số liệu
          {shown.length < items.length ? ` (màn hình hiện ${formatNumber(shown.length)})` : ""}
          {anySample ? (
            <>
              {" "}
              · <SampleMark /> số liệu mẫu để minh họa, không phải số liệu thật
            </>
          ) : null}
        </span>
        <span>Esc để thoát</span>
      </div>
    </div>
  );
}
