"use client";
// Who is online in this project: the signed-in user and every other connected client, with their
// presence colors and the slice each is on.
import { useEffect, useState } from "react";
import { type Peer, readPeers } from "../collab/presence";
import type { WorkspaceModel } from "./model";

export function usePeers(model: WorkspaceModel): Peer[] {
  const [peers, setPeers] = useState<Peer[]>([]);
  useEffect(() => {
    const awareness = model.session.provider.awareness;
    let last = "";
    const update = () => {
      const next = readPeers(awareness);
      const key = JSON.stringify(
        next.map((p) => [
          p.clientId,
          p.user,
          p.cursor?.slice,
          p.cursor?.plane,
          p.view?.slice,
          p.view?.plane,
          p.cursor?.datasetId ?? p.view?.datasetId,
        ]),
      );
      if (key === last) return;
      last = key;
      setPeers(next);
    };
    awareness.on("change", update);
    update();
    return () => awareness.off("change", update);
  }, [model]);
  return peers;
}

export function initials(name: string): string {
  const parts = name.split(/[\s._-]+/).filter(Boolean);
  return (parts.length > 1 ? parts[0][0] + parts[1][0] : name.slice(0, 2)).toUpperCase();
}

/** Where a peer is: "xy z 12" from its cursor or its published view. */
export function peerWhere(p: Peer): string | null {
  const plane = p.cursor?.plane ?? p.view?.plane;
  const slice = p.cursor?.slice ?? p.view?.slice;
  if (!plane || slice === undefined) return null;
  const axis = plane === "xy" ? "z" : plane === "xz" ? "y" : "x";
  return `${plane} · ${axis} ${slice}`;
}

export function OnlineAvatars({ model }: { model: WorkspaceModel }) {
  const peers = usePeers(model);
  type Row = { key: string; name: string; initials: string; color: string; where: string | null };
  const me: Row = {
    key: "me",
    name: `${model.user.name} (you)`,
    initials: initials(model.user.name),
    color: model.user.color,
    where: null,
  };
  const everyone: Row[] = [
    me,
    ...peers.map((p) => ({
      key: String(p.clientId),
      name: p.user.name,
      initials: initials(p.user.name),
      color: p.user.color,
      where: peerWhere(p),
    })),
  ];
  return (
    <ul className="avatars" aria-label={`${everyone.length} online`} data-testid="online-avatars">
      {everyone.map((u) => (
        <li
          key={u.key}
          className="avatar"
          style={{ background: u.color }}
          title={u.where ? `${u.name} — ${u.where}` : u.name}
          data-testid="online-user"
        >
          <span aria-hidden="true">{u.initials}</span>
          <span className="sr-only">
            {u.name}
            {u.where ? `, ${u.where}` : ""}
          </span>
        </li>
      ))}
    </ul>
  );
}
