"use client";
// Who is online, with each person's presence color and current plane and slice.
import { useStore } from "../lib/store";
import { sliceOf } from "../viewer/navigation";
import type { WorkspaceModel } from "../workspace/model";
import { initials, peerWhere, usePeers } from "../workspace/online-users";

export function OnlineList({ model }: { model: WorkspaceModel }) {
  const peers = usePeers(model);
  const mine = useStore(model.viewer, (s) => {
    const plane = s.geometry?.is3d ? s.activePlane : "xy";
    const axis = plane === "xy" ? "z" : plane === "xz" ? "y" : "x";
    return s.geometry ? `${plane} · ${axis} ${sliceOf(plane, s.position)}` : null;
  });
  return (
    <ul className="online-list" data-testid="online-list">
      <li className="online-row">
        <span className="avatar avatar-small" style={{ background: model.user.color }} aria-hidden="true">
          {initials(model.user.name)}
        </span>
        <span className="online-name">{model.user.name} (you)</span>
        {mine && <span className="dim">{mine}</span>}
      </li>
      {peers.map((p) => (
        <li key={p.clientId} className="online-row" data-testid="online-peer">
          <span className="avatar avatar-small" style={{ background: p.user.color }} aria-hidden="true">
            {initials(p.user.name)}
          </span>
          <span className="online-name">{p.user.name}</span>
          <span className="dim">{peerWhere(p) ?? "—"}</span>
        </li>
      ))}
    </ul>
  );
}
