import { formatNumber } from "@dieuhanh/core";
import { Col, Row, Typography } from "antd";
import { useEffect, useState } from "react";
import { useNavigate, useSearchParams } from "react-router-dom";
import { useLiveData } from "../../components/live";
import { DEFAULT_TILES } from "./common";
import { Tile, useTiles } from "./Overview";

const ROTATE_MS = 15_000;

/**
 * Wall mode (màn hình lớn) for the operations room: full screen, large type, no scrollbars at 1920×1080,
 * panels rotating every 15 seconds; Esc goes back. Figures refresh as soon as they change.
 */
export default function WallMode() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const area = params.get("area") ?? "VN";
  const tiles = useTiles(area, DEFAULT_TILES);
  const last = useLiveData();
  const [panel, setPanel] = useState(0);
  const [now, setNow] = useState(new Date());
  const items = tiles.data?.items ?? [];
  const pages = Math.max(1, Math.ceil(items.length / 4));
  useEffect(() => {
    const t = setInterval(() => {
      setPanel((p) => (p + 1) % pages);
      setNow(new Date());
    }, ROTATE_MS);
    const esc = (e: KeyboardEvent) => e.key === "Escape" && navigate(-1);
    window.addEventListener("keydown", esc);
    void document.documentElement.requestFullscreen?.().catch(() => undefined);
    return () => {
      clearInterval(t);
      window.removeEventListener("keydown", esc);
    };
  }, [pages, navigate]);
  const shown = items.slice(panel * 4, panel * 4 + 4);
  return (
    <div className="wall" data-testid="wall">
      <div className="wall-header">
        <Typography.Title level={1} style={{ color: "#fff", margin: 0 }}>
          Trung tâm điều hành — {area === "VN" ? "Cả nước" : area}
        </Typography.Title>
        <Typography.Text style={{ color: "#ddd", fontSize: 24 }}>
          {now.toLocaleDateString("vi-VN")} {now.toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" })}
          {last ? ` · cập nhật ${new Date(last).toLocaleTimeString("vi-VN")}` : ""} · bảng {panel + 1}/{pages}
        </Typography.Text>
      </div>
      <Row gutter={[24, 24]} style={{ flex: 1, minHeight: 0 }}>
        {shown.map((t) => (
          <Col key={t.indicator.code} span={12} style={{ height: "calc(50% - 12px)" }}>
            <Tile tile={t} area={area} big />
          </Col>
        ))}
      </Row>
      <Typography.Text style={{ color: "#aaa", fontSize: 18 }}>
        {items.filter((t) => t.latest).length} chỉ số có số liệu · {formatNumber(items.length)} chỉ số theo dõi · Esc để thoát
      </Typography.Text>
    </div>
  );
}
