// One requestAnimationFrame loop for every view: anything that changes what is on screen calls
// `request()`, and each registered view draws at most once per frame.

export class RenderLoop {
  private readonly views = new Set<() => void>();
  private pending = 0;

  add(draw: () => void): () => void {
    this.views.add(draw);
    this.request();
    return () => this.views.delete(draw);
  }

  request = (): void => {
    if (this.pending || typeof window === "undefined") return;
    this.pending = window.requestAnimationFrame(() => {
      this.pending = 0;
      for (const draw of this.views) draw();
    });
  };

  dispose(): void {
    if (this.pending) window.cancelAnimationFrame(this.pending);
    this.pending = 0;
    this.views.clear();
  }
}
