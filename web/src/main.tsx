import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { App as AntApp, ConfigProvider } from "antd";
import viVN from "antd/locale/vi_VN";
import { lazy, StrictMode, Suspense } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router-dom";
import { AuthGate } from "./components/auth";
import { LoadError } from "./components/LoadError";
import { PageLoading } from "./components/PageLoading";
import "./styles.css";

// The sign-in page loads without the menu, the header and the pages (they come once signed in).
const AppShell = lazy(() => import("./components/AppShell").then((m) => ({ default: m.AppShell })));

// A tab opened before a new deploy asks for files of the old build, which are gone: load the new one
// (once; a second failure within a minute is shown as an error instead of reloading in a loop).
window.addEventListener("vite:preloadError", (event) => {
  const last = Number(sessionStorage.getItem("reloaded-for-new-build") ?? 0);
  if (Date.now() - last < 60_000) return;
  sessionStorage.setItem("reloaded-for-new-build", String(Date.now()));
  event.preventDefault();
  window.location.reload();
});

const queryClient = new QueryClient({
  defaultOptions: {
    queries: { staleTime: 60_000, retry: 1, refetchOnWindowFocus: false },
  },
});

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <ConfigProvider locale={viVN} theme={{ token: { colorPrimary: "#b71c1c", borderRadius: 6 } }}>
      <AntApp>
        <QueryClientProvider client={queryClient}>
          <BrowserRouter>
            <AuthGate>
              <LoadError>
                <Suspense fallback={<PageLoading text="Đang tải…" margin={96} />}>
                  <AppShell />
                </Suspense>
              </LoadError>
            </AuthGate>
          </BrowserRouter>
        </QueryClientProvider>
      </AntApp>
    </ConfigProvider>
  </StrictMode>,
);
