import { FullscreenOutlined } from "@ant-design/icons";
import { useQuery } from "@tanstack/react-query";
import { formatNumber, formatTime } from "@dieuhanh/core";
import { Button, Card, Col, Progress, Row, Select, Space, Typography } from "antd";
import { Link, useSearchParams } from "react-router-dom";
import { apiGet, type Page } from "../../api/client";
import type { Area, Completeness, JsonOf, LatestTile } from "../../api/types";
import { useAuth } from "../../components/auth";
import { useLiveData } from "../../components/live";
import { QueryState } from "../../components/QueryState";
import { ReadingHelp } from "../../components/ReadingHelp";
import { useHomeDefaults } from "../../components/useHome";
import { lastMonthCode } from "../reports/common";
import { Change, DEFAULT_TILES, SampleMark, SourceTag, Sparkline } from "./common";

/**
 * One indicator's tile: latest value with its unit, period and source ("Mẫu" for sample figures),
 * comparisons with their units coloured by the indicator's polarity, sparkline. `big` for the wall.
 */
export function Tile({ tile, area, big }: { tile: LatestTile; area: string; big?: boolean }) {
  const l = tile.latest;
  return (
    <Card size="small" className="ioc-tile" data-testid={`tile-${tile.indicator.code}`} style={{ height: "100%" }}>
      <div className="tile-head">
        <Link to={`/dieu-hanh/chi-so/${tile.indicator.code}?area=${area}`} title={tile.indicator.name} className="tile-name">
          <Typography.Text strong style={{ fontSize: big ? 20 : 14 }}>
            {tile.indicator.name}
          </Typography.Text>
        </Link>
        <SampleMark show={!!l?.sample} />
      </div>
      {l ? (
        <>
          <Space align="baseline" wrap size={6}>
            <span
              className="tile-value"
              data-testid={`tile-value-${tile.indicator.code}`}
              style={{
                fontSize: big ? wallValueSize(formatNumber(l.value, 2), tile.indicator.unit) : 28,
                fontWeight: 600,
                lineHeight: 1.15,
              }}
            >
              {formatNumber(l.value, 2)}
            </span>
            <Typography.Text type="secondary" style={{ fontSize: big ? 18 : undefined }}>
              {tile.indicator.unit}
            </Typography.Text>
          </Space>
          <div>
            <Typography.Text type="secondary" style={{ fontSize: big ? 16 : undefined }}>
              {l.label}{" "}
            </Typography.Text>
            <SourceTag point={l} sample={false} />
            {!big && <ReadingHelp testId={`help-${tile.indicator.code}`} />}
          </div>
          {l.coverage && l.coverage.reported < l.coverage.expected ? (
            // A total of some of the parts is not comparable with a full one: no "−96,9%" from missing reports.
            <Typography.Text
              type="secondary"
              className="change"
              style={{ display: "block" }}
              data-testid={`tile-partial-${tile.indicator.code}`}
            >
              Chưa đủ số liệu để so sánh ({formatNumber(l.coverage.reported)}/{formatNumber(l.coverage.expected)} đơn vị báo cáo)
            </Typography.Text>
          ) : (
            <>
              <Change label="so kỳ trước" c={l.comparisons?.previousPeriod} indicator={tile.indicator} />
              <Change label="so cùng kỳ" c={l.comparisons?.samePeriodLastYear} indicator={tile.indicator} />
            </>
          )}
          <div className="tile-spark">
            <Sparkline values={tile.sparkline} unit={tile.indicator.unit} height={big ? "100%" : 40} />
          </div>
        </>
      ) : (
        <Typography.Text type="secondary">Chưa có số liệu</Typography.Text>
      )}
    </Card>
  );
}

/**
 * On the wall a long number ("494.260,1 tỷ đồng", "279.062 lượt người") steps down a size so that it stays
 * on one line with its unit in a quarter of the tiles' width (about 250 px at 1920×1080).
 */
const wallValueSize = (text: string, unit: string | null) =>
  Math.round(Math.max(30, Math.min(46, (250 - (unit?.length ?? 0) * 9 - 6) / (text.length * 0.58))));

export function useTiles(area: string, indicators: string[] = DEFAULT_TILES) {
  return useQuery({
    queryKey: ["analytics", "latest", area, indicators.join(",")],
    enabled: indicators.length > 0,
    queryFn: () =>
      apiGet<JsonOf<"/api/analytics/latest", "get">>("/api/analytics/latest", { indicators: indicators.join(","), area }),
  });
}

export function AreaPicker({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const { me } = useAuth();
  const provinces = useQuery({
    queryKey: ["areas", "provinces"],
    queryFn: () => apiGet<Page<Area>>("/api/areas", { level: "province", limit: 100 }),
    staleTime: Infinity,
  });
  const options = [
    ...(me?.scope.areaId ? [] : [{ value: "VN", label: "Cả nước" }]),
    ...(provinces.data?.items ?? [])
      .filter((a) => !me?.scope.areaId || a.id === me.scope.areaId)
      .map((a) => ({ value: a.id, label: a.name })),
  ];
  return (
    <Select
      aria-label="Địa bàn"
      showSearch
      optionFilterProp="label"
      style={{ width: 200 }}
      value={value}
      onChange={onChange}
      options={options}
    />
  );
}

/** The leader's overview (tổng quan điều hành): where the area stands today, live. */
export default function Overview() {
  const home = useHomeDefaults();
  const [params, setParams] = useSearchParams();
  const area = home.areaFor(params.get("area"));
  const last = useLiveData();
  const tiles = useTiles(area, home.tiles);
  const period = lastMonthCode();
  const completeness = useQuery({
    queryKey: ["completeness", period, area],
    queryFn: () =>
      apiGet<Completeness>("/api/reports/completeness", { period, summary: "true", ...(area === "VN" ? {} : { area }) }),
  });
  const c = completeness.data?.summary;
  return (
    <>
      <Space style={{ width: "100%", justifyContent: "space-between" }} wrap>
        <Typography.Title level={3}>Tổng quan điều hành</Typography.Title>
        <Space wrap>
          <AreaPicker value={area} onChange={(v) => setParams({ area: v })} />
          <Link to="/dieu-hanh/ban-do">Bản đồ</Link>
          <Link to={`/dieu-hanh/nhom/A-I?area=${area}`}>Theo lĩnh vực</Link>
          <Link to={`/man-hinh-lon?area=${area}`}>
            <Button icon={<FullscreenOutlined />}>Màn hình lớn</Button>
          </Link>
        </Space>
      </Space>
      {last && (
        <Typography.Text type="secondary" data-testid="live-updated">
          Cập nhật lúc {formatTime(new Date(last), true)}
        </Typography.Text>
      )}
      <QueryState isLoading={!home.ready || tiles.isLoading} error={tiles.error}>
        <Row gutter={[12, 12]} style={{ marginTop: 8 }}>
          {tiles.data?.items.map((t) => (
            <Col key={t.indicator.code} xs={24} sm={12} lg={8} xl={6}>
              <Tile tile={t} area={area} />
            </Col>
          ))}
          {c && (
            <Col xs={24} sm={12} lg={8} xl={6}>
              <Card size="small" style={{ height: "100%" }} data-testid="tile-completeness">
                <Typography.Text strong>Tình hình báo cáo {completeness.data?.period.label}</Typography.Text>
                <Progress percent={c.expected ? Math.round((c.submitted / c.expected) * 100) : 0} />
                <Typography.Text>
                  {formatNumber(c.submitted)}/{formatNumber(c.expected)} số liệu đã gửi; {c.lateReports} báo cáo chậm
                </Typography.Text>
                <div>
                  <Link to={`/tinh-hinh-bao-cao?period=${period}`}>Xem chi tiết</Link>
                </div>
              </Card>
            </Col>
          )}
        </Row>
      </QueryState>
    </>
  );
}
