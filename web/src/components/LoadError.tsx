import { Button, Result } from "antd";
import { Component, type ReactNode } from "react";

/**
 * A page whose code could not be loaded (the network dropped, or a new version was deployed while the tab was
 * open and its files are gone) says so and offers a reload, instead of leaving a blank screen.
 */
export class LoadError extends Component<{ children: ReactNode; resetKey?: string }, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError() {
    return { failed: true };
  }

  /** Going to another page tries again. */
  override componentDidUpdate(previous: { resetKey?: string }) {
    if (this.state.failed && previous.resetKey !== this.props.resetKey) this.setState({ failed: false });
  }

  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <Result
        status="warning"
        title="Không tải được trang"
        subTitle="Mạng bị gián đoạn hoặc hệ thống vừa được cập nhật phiên bản mới. Vui lòng tải lại trang."
        extra={
          <Button type="primary" onClick={() => window.location.reload()}>
            Tải lại trang
          </Button>
        }
      />
    );
  }
}
