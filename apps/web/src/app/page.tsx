// Landing page: what Sylva is and which ilastik features it computes (the viewer arrives with issue 6).
import { FEATURES } from "@sylva/shared";

export default function Home() {
  return (
    <main style={{ maxWidth: 720, margin: "4rem auto", padding: "0 1rem" }}>
      <h1>Sylva</h1>
      <p>Collaborative pixel classification for microscopy. The browser workspace is under construction.</p>
      <h2>Filter features</h2>
      <ul>
        {FEATURES.map((f) => (
          <li key={f.id}>
            {f.name} ({f.id})
          </li>
        ))}
      </ul>
    </main>
  );
}
