import { useQuery, useQueryClient } from "@tanstack/react-query";
import { hasPermission, type Permission } from "@dieuhanh/core";
import { createContext, useContext, useEffect, type ReactNode } from "react";
import { ApiError, apiGet, setCsrfToken, SIGNED_OUT_EVENT } from "../api/client";
import type { Me } from "../api/types";
import { PageLoading } from "./PageLoading";
import { ChangePassword } from "../pages/auth/ChangePassword";
import { Login } from "../pages/auth/Login";

const AuthContext = createContext<{ me: Me; can: (p: Permission) => boolean } | null>(null);

/** The signed-in user and what they may do; the UI hides what the role cannot do (the server enforces it). */
export function useAuth() {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside AuthGate");
  return value;
}

/** Shows the login page until there is a session, and the password change when one is required. */
export function AuthGate({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const me = useQuery({
    queryKey: ["me"],
    queryFn: async () => {
      try {
        const value = await apiGet<Me>("/api/me");
        setCsrfToken(value.csrfToken);
        return value;
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) return null;
        throw e;
      }
    },
    staleTime: Infinity,
    retry: false,
  });

  useEffect(() => {
    const onSignedOut = () => queryClient.setQueryData(["me"], null);
    window.addEventListener(SIGNED_OUT_EVENT, onSignedOut);
    return () => window.removeEventListener(SIGNED_OUT_EVENT, onSignedOut);
  }, [queryClient]);

  if (me.isLoading) return <PageLoading text="Đang tải…" margin={96} />;
  if (!me.data) return <Login />;
  if (me.data.user?.mustChangePassword) return <ChangePassword forced />;
  const value = { me: me.data, can: (p: Permission) => hasPermission(me.data!.role, p) };
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
