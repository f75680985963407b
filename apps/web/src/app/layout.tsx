// Root layout of Sylva's web app.
import type { ReactNode } from "react";

export const metadata = { title: "Sylva", description: "Collaborative pixel classification for microscopy" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: "system-ui, sans-serif", margin: 0 }}>{children}</body>
    </html>
  );
}
