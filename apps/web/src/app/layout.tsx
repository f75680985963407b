// Root layout of Sylva's web app: global styles and the client-side providers.
import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import "./globals.css";
import { Providers } from "./providers";

export const metadata: Metadata = {
  title: "Sylva",
  description: "Collaborative pixel classification for microscopy",
};

export const viewport: Viewport = { colorScheme: "dark", themeColor: "#16181c" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
